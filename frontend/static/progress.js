// Shows progress for the actions that take a while, and stops a second click from sending a
// form twice.
//
// Every page works without this script: forms post and links download as they always do. With
// it, an upload shows how much of the file has gone, a statement download how much has
// arrived, and a form whose answer may be slow a moving bar. The words come from the page
// (`data-busy` on the form or link, `data-failed` on the panel) in the visitor's language;
// the script holds none of its own.
'use strict';

(() => {
  function panel() {
    return document.getElementById('busy');
  }

  // `fraction` between 0 and 1, or null when the size is not known (a moving bar).
  function show(label, fraction) {
    const box = panel();
    if (!box) return;
    box.classList.remove('busy-failed');
    box.querySelector('.busy-label').textContent = label;
    const bar = box.querySelector('progress');
    if (fraction === null) {
      bar.removeAttribute('value');
    } else {
      bar.max = 100;
      bar.value = Math.round(fraction * 100);
    }
    box.hidden = false;
  }

  function hide() {
    const box = panel();
    if (box) box.hidden = true;
  }

  function showFailure() {
    const box = panel();
    if (!box) return;
    show(box.dataset.failed, 0);
    box.classList.add('busy-failed');
  }

  // A form being sent is marked, so a second submit is ignored until the answer comes.
  function markSending(form, sending) {
    if (sending) {
      form.dataset.sending = 'true';
      form.setAttribute('aria-busy', 'true');
    } else {
      delete form.dataset.sending;
      form.removeAttribute('aria-busy');
    }
  }

  // The upload goes through XMLHttpRequest only because it reports how much has been sent.
  // Its answer is handled as the browser would: after success the page the server redirected
  // to is opened; a refusal (the same page with the errors by the fields) replaces this one.
  function upload(form, label) {
    const request = new XMLHttpRequest();
    request.open('POST', form.action);
    request.responseType = 'document';
    request.upload.addEventListener('progress', (event) => {
      show(label, event.lengthComputable ? event.loaded / event.total : null);
    });
    request.addEventListener('load', () => {
      if (request.status < 300 && request.responseURL) {
        window.location.assign(request.responseURL);
        return;
      }
      const answer = request.response;
      if (answer && answer.documentElement) {
        document.replaceChild(document.adoptNode(answer.documentElement), document.documentElement);
        const main = document.getElementById('main');
        if (main) main.focus();
      } else {
        markSending(form, false);
        showFailure();
      }
    });
    request.addEventListener('error', () => {
      markSending(form, false);
      showFailure();
    });
    show(label, 0);
    request.send(new FormData(form));
  }

  function fileNameOf(response, url) {
    const disposition = response.headers.get('content-disposition') || '';
    const quoted = /filename="([^"]+)"/.exec(disposition);
    if (quoted) return quoted[1];
    return new URL(url).pathname.split('/').pop() || 'download';
  }

  // A download is fetched so its arrival can be counted, then handed to the browser to save.
  // Anything but the file itself (an error page, the sign-in page after a redirect) is opened
  // as a page instead, so the visitor sees what the server said.
  async function download(link, label) {
    show(label, null);
    try {
      const response = await fetch(link.href, { credentials: 'same-origin' });
      const type = response.headers.get('content-type') || '';
      if (!response.ok || response.redirected || type.startsWith('text/html') || !response.body) {
        window.location.assign(link.href);
        return;
      }
      const total = Number(response.headers.get('content-length')) || 0;
      const reader = response.body.getReader();
      const chunks = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        show(label, total ? received / total : null);
      }
      const file = URL.createObjectURL(new Blob(chunks, { type }));
      const save = document.createElement('a');
      save.href = file;
      save.download = fileNameOf(response, link.href);
      save.hidden = true;
      document.body.append(save);
      save.click();
      save.remove();
      // The browser reads the file when the save starts; a minute is ample before freeing it.
      setTimeout(() => URL.revokeObjectURL(file), 60000);
      hide();
    } catch {
      showFailure();
    }
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.busy) return;
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    markSending(form, true);
    if (form.enctype === 'multipart/form-data') {
      event.preventDefault();
      upload(form, form.dataset.busy);
    } else {
      show(form.dataset.busy, null);
    }
  });

  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[data-busy]') : null;
    // A click meant for a new tab or window is left to the browser.
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    download(link, link.dataset.busy);
  });

  // A page restored by the back button shows its state as it was before the form was sent.
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted) return;
    hide();
    for (const form of document.querySelectorAll('form[data-sending]')) markSending(form, false);
  });
})();
