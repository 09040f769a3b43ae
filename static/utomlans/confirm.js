// Forms with a data-confirm attribute ask before they are sent. (The Content Security Policy allows no inline
// onsubmit handlers, so the question lives in the markup and the behaviour here.) Listened to in the capture
// phase: some of these forms sit inside the admin's change form, and their submit event does not bubble up to
// the document in every browser.
document.addEventListener(
  "submit",
  (event) => {
    const message = event.target.dataset ? event.target.dataset.confirm : undefined;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  },
  true,
);
