// Forms with a data-confirm attribute ask before they are sent, and so does an admin list's action form when the
// chosen action's <option> carries data-confirm (publishing, revoking keys). (The Content Security Policy allows no
// inline onsubmit handlers, so the question lives in the markup and the behaviour here.) Listened to in the capture
// phase: some of these forms sit inside the admin's change form, and their submit event does not bubble up to
// the document in every browser.
function confirmationOf(form) {
  if (form.dataset && form.dataset.confirm) {
    return form.dataset.confirm;
  }
  // The admin's action form: the question of the chosen action, if it has one. The list's form also holds the
  // list's own fields, so only a submission through the action button ("Go") asks.
  const select = form.querySelector("select[name$='action']");
  if (!select || select.selectedIndex < 0) {
    return undefined;
  }
  const option = select.options[select.selectedIndex];
  return option.dataset ? option.dataset.confirm : undefined;
}

document.addEventListener(
  "submit",
  (event) => {
    const message = confirmationOf(event.target);
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
