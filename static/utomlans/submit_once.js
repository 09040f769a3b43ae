// A form's submit button marked data-disable-on-submit is disabled once the form is sent (a large upload takes a
// while: a second click would send the file again), and shows data-busy-value meanwhile. Coming back to the page
// through the browser's history (its cache keeps the disabled button) enables it again. Listened to in the bubbling
// phase, after confirm.js, so a submission the user cancels there leaves the button as it was.
document.addEventListener("submit", (event) => {
  if (event.defaultPrevented) {
    return;
  }
  for (const button of event.target.querySelectorAll("[data-disable-on-submit]")) {
    if (button.dataset.busyValue) {
      button.dataset.idleValue = button.value;
      button.value = button.dataset.busyValue;
    }
    // Disabled after the event: a button disabled while the form is being sent would leave its name out of the data.
    setTimeout(() => {
      button.disabled = true;
    }, 0);
  }
});

window.addEventListener("pageshow", () => {
  for (const button of document.querySelectorAll("[data-disable-on-submit]")) {
    button.disabled = false;
    if (button.dataset.idleValue) {
      button.value = button.dataset.idleValue;
    }
  }
});
