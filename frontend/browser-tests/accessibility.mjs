// What a person using a keyboard, a screen reader or a dim screen needs from every page:
// every control named, and text that stands out from what is behind it (WCAG 2.1 AA: 4.5:1,
// or 3:1 for large text). The browser tests run it on each page they visit.

import assert from 'node:assert/strict';

/** Runs in the page: the controls without a name, and the text below its contrast minimum. */
function findProblems() {
  const visible = (element) => element.getClientRects().length > 0
    && getComputedStyle(element).visibility !== 'hidden';

  const describe = (element) => {
    const id = element.id ? `#${element.id}` : '';
    const name = element.getAttribute('name') ? `[name=${element.getAttribute('name')}]` : '';
    return `${element.tagName.toLowerCase()}${id}${name}`;
  };

  const unnamed = [];
  for (const control of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!visible(control)) continue;
    const named = control.labels.length > 0
      || control.getAttribute('aria-label')
      || control.getAttribute('aria-labelledby');
    if (!named) unnamed.push(describe(control));
  }
  for (const control of document.querySelectorAll('button, a[href]')) {
    if (!visible(control)) continue;
    const named = control.textContent.trim() || control.getAttribute('aria-label')
      || control.querySelector('img[alt]:not([alt=""]), svg title');
    if (!named) unnamed.push(describe(control));
  }

  // sRGB relative luminance, as WCAG defines it.
  const parse = (text) => {
    const parts = text.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0];
    return { rgb: parts.slice(0, 3), alpha: parts.length > 3 ? parts[3] : 1 };
  };
  const luminance = ([r, g, b]) => {
    const channel = (value) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  // The first opaque background behind the element; the page itself is white.
  const backgroundOf = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const { rgb, alpha } = parse(getComputedStyle(node).backgroundColor);
      if (alpha >= 0.99) return rgb;
    }
    return [255, 255, 255];
  };

  const faint = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (element.closest('svg') || !visible(element)) continue;
    const hasText = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
    if (!hasText) continue;
    const style = getComputedStyle(element);
    if (Number(style.opacity) < 1 || element.matches(':disabled')) continue;
    const foreground = parse(style.color).rgb;
    const background = backgroundOf(element);
    const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const minimum = large ? 3 : 4.5;
    if (ratio < minimum) {
      faint.push(`${describe(element)} "${element.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1 < ${minimum}:1`);
    }
  }
  return { unnamed, faint };
}

/** Fails the test when a control on the page has no name or some text is too faint. */
export async function assertAccessible(page, name) {
  const { unnamed, faint } = await page.evaluate(findProblems);
  assert.deepEqual(unnamed, [], `${name}: every control has a name`);
  assert.deepEqual(faint, [], `${name}: all text has enough contrast`);
}

/**
 * Fails the test unless Tab alone reaches every control on the page (one stop per group of
 * radio buttons, as browsers give) and each shows where the focus is.
 */
export async function assertKeyboardReachable(page, name) {
  const controls = await page.evaluate(() => {
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])';
    const stops = new Set();
    for (const element of document.querySelectorAll(selector)) {
      const shown = element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
      if (!shown || element.disabled) continue;
      stops.add(element.type === 'radio' ? `radio:${element.name}` : element);
    }
    return stops.size;
  });
  await page.evaluate(() => {
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
  });
  const reached = new Set();
  const unmarked = [];
  // A date field takes a stop for each of its parts, so presses go on until every control
  // was reached, with a bound for a page that traps or loses the focus.
  for (let press = 0; press < controls * 4 + 5 && reached.size < controls; press += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const element = document.activeElement;
      if (!element || element === document.body) return null;
      element.dataset.keyboardStop ??= String(document.querySelectorAll('[data-keyboard-stop]').length);
      const style = getComputedStyle(element);
      const marked = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
        || style.boxShadow !== 'none';
      const label = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''} "${(element.textContent || element.name || '').trim().slice(0, 30)}"`;
      return { stop: element.type === 'radio' ? `radio:${element.name}` : element.dataset.keyboardStop, marked, label };
    });
    if (!focused) continue;
    reached.add(focused.stop);
    // A frame (a document's preview) passes the focus on to its own document, whose controls
    // (the browser's PDF viewer) draw their own focus; from outside, the frame's element never
    // matches :focus, so there is nothing for our stylesheet to mark.
    if (!focused.marked && !focused.label.startsWith('iframe')) unmarked.push(focused.label);
  }
  assert.ok(reached.size >= controls, `${name}: Tab reaches all ${controls} controls (reached ${reached.size})`);
  assert.deepEqual([...new Set(unmarked)], [], `${name}: every control shows its focus`);
}
