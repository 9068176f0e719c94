// Small progressive enhancements; every page works without this file.
document.addEventListener('DOMContentLoaded', () => {
  // Move focus to an error summary (or a refusal that names no field) so screen-reader and keyboard users hear what
  // went wrong.
  const summary = document.querySelector('.error-summary[tabindex="-1"], [data-focus-on-load][tabindex="-1"]');
  if (summary) summary.focus();
  // Buttons that set every radio of a register column ("mark all present").
  // The register's "Mark the rest present": only rows with no choice yet, as the form's own no-script button does, so
  // a mark made (or saved) already is never replaced unseen; what it did is said in the status line beside it.
  for (const button of document.querySelectorAll('[data-mark-all]')) {
    button.hidden = false;
    const status = document.getElementById(button.getAttribute('aria-controls') ?? '');
    button.addEventListener('click', () => {
      const value = button.getAttribute('data-mark-all');
      const groups = new Map();
      for (const radio of button.form.querySelectorAll('input[type=radio]')) {
        const group = groups.get(radio.name) ?? { chosen: false, target: null };
        if (radio.checked) group.chosen = true;
        if (radio.value === value) group.target = radio;
        groups.set(radio.name, group);
      }
      let marked = 0;
      for (const group of groups.values())
        if (!group.chosen && group.target) {
          group.target.checked = true;
          marked += 1;
        }
      if (status)
        status.textContent =
          marked === 0
            ? 'Everyone already has a mark; nothing was changed.'
            : `${marked} ${marked === 1 ? 'person' : 'people'} not yet marked now ${marked === 1 ? 'has' : 'have'} "${value}" chosen; the marks already chosen were left as they were. Save the register to keep it.`;
    });
  }
  // Before the session ends (views/partials/foot.ejs): 5 minutes ahead, a warning, and when it is the idle timeout a
  // "Stay signed in" that renews the session (any request does) and starts the count again. Typing makes no request,
  // so the count runs from the page's load, as the server's does from its last answer.
  const warning = document.getElementById('session-warning');
  if (warning) {
    const ahead = 5 * 60 * 1000;
    const loadedAt = Date.now();
    const absoluteAt = Number(warning.dataset.absoluteAt);
    // While it shows, the page keeps room under its last line and scrolls a focused field above the box, so the box
    // never covers the field she is on (WCAG 2.4.11); the box itself is never more than half the window and scrolls
    // inside (app.css), so at 400% zoom there is room for both. Escape or "Hide this message" puts it away.
    const fit = () => {
      const room = warning.hidden ? '' : `${warning.offsetHeight + 16}px`;
      document.documentElement.style.scrollPaddingBottom = room;
      document.body.style.paddingBottom = room;
    };
    window.addEventListener('resize', fit);
    // Focus is never taken from a control she is on: she may be typing, and her next keys would land on the box or
    // press its button. The box then sits in the tab order right after that control, so one Tab reaches "Stay signed
    // in" (2.2.1), Shift+Tab goes back, Tab past the box goes on from her control, and closing it returns her there.
    // On no control (her keys reach nothing) focus goes to its first button.
    let cameFrom = null;
    const status = document.getElementById('session-status');
    const buttons = () => [...warning.querySelectorAll('button')].filter((button) => !button.hidden);
    const show = (shown) => {
      const wasShown = !warning.hidden;
      const inside = warning.contains(document.activeElement);
      warning.hidden = !shown;
      fit();
      if (shown && !wasShown) {
        const focused = document.activeElement;
        cameFrom = focused && focused !== document.body ? focused : null;
        if (cameFrom) cameFrom.scrollIntoView({ block: 'nearest' });
        else buttons()[0].focus();
      }
      if (!shown && inside) {
        // Back to her field; with none, to the start of the page's content (not lost at the top of the document).
        if (cameFrom?.isConnected) cameFrom.focus();
        else document.getElementById('main')?.focus();
      }
    };
    const say = (when) => {
      const inside = warning.contains(document.activeElement);
      for (const p of warning.querySelectorAll('[data-when]')) p.hidden = p.dataset.when !== when;
      warning.querySelector('[data-stay-signed-in]').hidden = when !== 'idle' && when !== 'unreachable';
      show(true);
      // Signed out meanwhile, "Stay signed in" goes: her focus stays in the box, on the button left.
      if (inside && document.activeElement.hidden) buttons()[0].focus();
    };
    warning.querySelector('[data-hide-warning]').addEventListener('click', () => show(false));
    // Only a visit the Tab from her field began returns to it: one that reached the box by tabbing down the page goes
    // on down the page (returning then would send her round the same part of the page for ever).
    let fromHerField = false;
    warning.addEventListener('focusout', (event) => {
      if (!warning.contains(event.relatedTarget)) fromHerField = false;
    });
    document.addEventListener('keydown', (event) => {
      if (warning.hidden) return;
      if (event.key === 'Escape') {
        show(false);
        return;
      }
      if (event.key !== 'Tab' || !cameFrom || event.altKey || event.ctrlKey || event.metaKey) return;
      const focused = document.activeElement;
      if (!event.shiftKey && focused === cameFrom) {
        event.preventDefault();
        fromHerField = true;
        buttons()[0].focus();
      } else if (fromHerField && event.shiftKey && focused === buttons()[0]) {
        event.preventDefault();
        cameFrom.focus();
      } else if (fromHerField && !event.shiftKey && focused === buttons().at(-1)) {
        cameFrom.focus(); // and the browser's own Tab moves on from there
      }
    });
    let timer;
    const arm = (from) => {
      clearTimeout(timer);
      const idleAt = from + Number(warning.dataset.idleMs);
      const when = absoluteAt <= idleAt ? 'absolute' : 'idle';
      timer = setTimeout(() => say(when), Math.max(0, Math.min(idleAt, absoluteAt) - ahead - Date.now()));
    };
    warning.querySelector('[data-stay-signed-in]').addEventListener('click', async () => {
      const answer = await fetch('/session/keep-alive', { credentials: 'same-origin', cache: 'no-store' }).catch(
        () => null,
      );
      if (answer && answer.status === 204) {
        show(false);
        arm(Date.now());
        // Said once the box is gone, so that she hears the click did what it said.
        if (status) status.textContent = 'You are still signed in.';
      } else if (answer && answer.status === 401) say('ended');
      else say('unreachable');
    });
    arm(loadedAt);
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
