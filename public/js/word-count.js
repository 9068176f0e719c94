// Live word count under a textarea marked data-word-count="<id of the output>" (and data-min-words).
// Progressive enhancement: without it the form still works and the server names the minimum.
// Counts as server/services/learning/completion.ts does: Unicode's word breaking (Intl.Segmenter), which finds the
// words of Chinese, Japanese and Thai too. A browser without it counts runs of non-space holding a letter or digit
// (the server's count decides).
document.addEventListener('DOMContentLoaded', () => {
  const segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: 'word' }) : null;
  const countWords = (text) =>
    segmenter
      ? [...segmenter.segment(text)].filter((s) => s.isWordLike).length
      : text
          .trim()
          .split(/\s+/)
          .filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
  for (const field of document.querySelectorAll('textarea[data-word-count]')) {
    const output = document.getElementById(field.getAttribute('data-word-count'));
    if (!output) continue;
    const min = Number(field.getAttribute('data-min-words') || 0);
    let timer;
    const show = () => {
      const words = countWords(field.value);
      const noun = words === 1 ? 'word' : 'words';
      const said =
        min > 0 ? `${words} ${noun} of at least ${min}${words >= min ? ': enough' : ''}.` : `${words} ${noun}.`;
      // Written (and so announced) only when it says something new: a screen reader would otherwise repeat the same
      // count at every pause.
      if (output.textContent !== said) output.textContent = said;
    };
    output.hidden = false;
    show();
    // Announce after a real pause in typing (a second), not between words.
    field.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(show, 1000);
    });
  }
});
