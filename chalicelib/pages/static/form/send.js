// The registration to the API, with the form fill's Idempotency-Key: sending again (a double tap,
// a retry after a lost answer) gets the first answer back and registers nobody twice. The
// Accept-Language is the page's, so the API's messages come in the words the page speaks.

export async function send(form, body) {
  let response;
  try {
    response = await fetch(form.dataset.api, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": document.documentElement.lang,
        "Idempotency-Key": form.elements.idempotency_key.value,
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    return {status: 0, body: {error: "network"}};
  }
  let answer = {};
  try {
    answer = await response.json();
  } catch (error) {
    answer = {error: "other"};
  }
  return {status: response.status, body: answer, retryAfter: response.headers.get("Retry-After")};
}
