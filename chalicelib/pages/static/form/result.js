// The result in place of the form, from the server's `<template data-result=...>`, with the
// address shown back; failures in words from `<template data-failure=...>`.
import {fill} from "../shared/texts.js";

export function showResult(form, alert, status, email) {
  const template = document.querySelector(`template[data-result="${status}"]`);
  const result = template.content.firstElementChild.cloneNode(true);
  result.querySelector("[data-slot=email]").textContent = email;
  alert.hidden = true;
  form.replaceWith(result);
  result.focus();
}

export function failureText(code, seconds) {
  const template = document.querySelector(`template[data-failure="${code}"]`) ||
    document.querySelector('template[data-failure="other"]');
  return fill(template.content.textContent.trim(), {seconds: seconds || 60});
}
