/* The ticket page's cancel button, with a confirmation step instead of window.confirm: the first
   button reveals "Yes, cancel" and moves focus to it, so keyboard and screen reader users land on
   the question. The POST goes to the API; on success the page shows the cancelled state in place
   (texts the server rendered into data attributes) and focus moves to the notice.
   `#cancel` in the URL, the email's cancel link, needs no script: the section has tabindex=-1, so
   the browser focuses it when it scrolls to it, and Tab goes on to the button. (A script that
   focused the button would lose: the browser's own fragment focusing runs later and moves focus
   to the viewport when the target cannot take it.) */
(function () {
  "use strict";
  var section = document.getElementById("cancel");
  if (!section) {
    return;
  }
  var start = document.getElementById("cancel-start");
  var confirmBox = document.getElementById("cancel-confirm");
  var yes = document.getElementById("cancel-yes");
  var no = document.getElementById("cancel-no");
  var progress = document.getElementById("cancel-progress");
  var error = document.getElementById("cancel-error");

  function showConfirm(open) {
    confirmBox.hidden = !open;
    start.setAttribute("aria-expanded", String(open));
    (open ? yes : start).focus();
  }

  function showCancelled() {
    var active = document.querySelectorAll("[data-active-only]");
    for (var i = 0; i < active.length; i++) {
      active[i].hidden = true;
    }
    ["status-text", "lead"].forEach(function (id) {
      var element = document.getElementById(id);
      element.textContent = element.getAttribute("data-cancelled");
    });
    document.querySelector(".status").className = "status status-cancelled";
    var notice = document.getElementById("notice");
    notice.textContent = section.getAttribute("data-done");
    notice.hidden = false;
    notice.focus();
  }

  function cancel() {
    yes.disabled = no.disabled = true;
    error.textContent = "";
    progress.textContent = section.getAttribute("data-working");
    fetch(section.getAttribute("data-url"), {method: "POST", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(new Error(String(response.status)));
      })
      .then(function (ticket) {
        if (ticket.status !== "cancelled") {
          throw new Error(ticket.status);
        }
        showCancelled();
      })
      .catch(function () {
        progress.textContent = "";
        error.textContent = section.getAttribute("data-failed");
        yes.disabled = no.disabled = false;
        yes.focus();
      });
  }

  start.addEventListener("click", function () {
    showConfirm(confirmBox.hidden);
  });
  no.addEventListener("click", function () {
    showConfirm(false);
  });
  yes.addEventListener("click", cancel);
})();
