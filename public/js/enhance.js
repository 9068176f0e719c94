// Small progressive enhancements; every page works without this file.
document.addEventListener('DOMContentLoaded', () => {
  // Move focus to an error summary (or a refusal that names no field) so screen-reader and keyboard users hear what
  // went wrong.
  const summary = document.querySelector('.error-summary[tabindex="-1"], [data-focus-on-load][tabindex="-1"]');
  if (summary) summary.focus();
  // Buttons that set every radio of a register column ("mark all present").
  for (const button of document.querySelectorAll('[data-mark-all]')) {
    button.hidden = false;
    button.addEventListener('click', () => {
      const value = button.getAttribute('data-mark-all');
      for (const radio of document.querySelectorAll(`input[type=radio][value="${value}"]`)) radio.checked = true;
    });
  }
  // Confirm destructive actions. Once she has said yes here the server need not ask again; without this file it asks
  // on a page of its own (server/http/confirmFirst.ts), which is also what a form without the field gets.
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) return event.preventDefault();
      if (form.elements.confirmed) form.elements.confirmed.value = 'yes';
    });
  }
});
