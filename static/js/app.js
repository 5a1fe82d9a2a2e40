// Pushdeck's behaviour in the browser: toasts, dialogs, menus, the live preview, small niceties.
// Loaded with defer; no inline script anywhere (CSP script-src 'self'). Its texts come from
// Django's JavaScript catalog (/jsi18n/, loaded just before it): gettext, ngettext, interpolate.
(function () {
  "use strict";

  // Toasts: server-rendered Django messages, and the "toasts" event of HX-Trigger headers.

  const TOAST_MS = { success: 5000, info: 6000, warning: 9000, error: 12000 };

  function dismiss(toast) {
    toast.classList.add("is-leaving");
    setTimeout(function () { toast.remove(); }, 220);
  }

  function arm(toast, level) {
    setTimeout(function () { if (toast.isConnected) dismiss(toast); }, TOAST_MS[level] || 6000);
  }

  function showToast(item) {
    const level = item.level || "info";
    const template = document.getElementById("toast-template");
    const toast = template.content.firstElementChild.cloneNode(true);
    toast.classList.add("toast-" + level);
    if (level === "error") toast.setAttribute("role", "alert");
    const icons = document.getElementById("toast-icons").content;
    const icon = icons.querySelector('[data-level="' + level + '"]') || icons.querySelector('[data-level="info"]');
    toast.querySelector("[data-toast-icon]").append(icon.firstElementChild.cloneNode(true));
    toast.querySelector("[data-toast-text]").textContent = item.message;
    if (item.link) {
      const link = toast.querySelector("[data-toast-link]");
      link.href = item.link;
      link.textContent = item.link_label || gettext("Open");
      link.hidden = false;
    }
    document.getElementById("toasts").append(toast);
    arm(toast, level);
  }

  document.addEventListener("click", function (event) {
    const close = event.target.closest("[data-toast-close]");
    if (close) dismiss(close.closest("[data-toast]"));
  });

  document.body.addEventListener("toasts", function (event) {
    (event.detail.items || []).forEach(showToast);
  });

  // htmx: error answers that name a target (HX-Retarget) carry a fragment to show there, such
  // as the reason a row's toggle failed. Other failures without a toast get a generic one.

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr.getResponseHeader("HX-Trigger") && !xhr.getResponseHeader("HX-Retarget")) {
      const message = gettext("Something went wrong (HTTP %(status)s). Try again.");
      showToast({ level: "error", message: interpolate(message, { status: xhr.status }, true) });
    }
  });

  document.body.addEventListener("htmx:sendError", function () {
    showToast({ level: "error", message: gettext("Pushdeck could not be reached. Check your network and try again.") });
  });

  // Busy while waiting for the server: the control that was used says so (aria-busy, styled in
  // app.css).

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    event.detail.elt.setAttribute("aria-busy", "true");
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    event.detail.elt.removeAttribute("aria-busy");
  });

  // Keep keyboard focus on the control that was used when htmx replaces its row, but only when the
  // focus was lost with it: a user who has moved on to another field while the answer was on its
  // way keeps typing there.
  let focusedId = null;
  document.body.addEventListener("htmx:beforeRequest", function () {
    focusedId = document.activeElement && document.activeElement.id;
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    const again = focusedId && document.getElementById(focusedId);
    const lost = !document.activeElement || document.activeElement === document.body;
    if (again && lost && !document.querySelector("dialog[open]")) again.focus();
  });

  // Dialogs: links with data-dialog-open go to a confirmation page without JS; with JS they open
  // the dialog instead.

  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      const dialog = document.querySelector(opener.getAttribute("data-dialog-open"));
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        if (dialog.querySelector("[data-delete-form]")) prepareDelete(dialog, opener);
        dialog.showModal();
      }
      return;
    }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer) closer.closest("dialog").close();
  });

  // The flows list shares one delete dialog: the opener's href is the flow's delete URL, and it
  // names the flow, its website (two flows may share a name) and its row (flows/rows.py).
  // With htmx the row is swapped away in place; without it the form posts and the page reloads.

  function prepareDelete(dialog, opener) {
    const form = dialog.querySelector("[data-delete-form]");
    const row = opener.getAttribute("data-delete-row");
    form.action = opener.getAttribute("href");
    form.setAttribute("data-delete-row", row);
    form.setAttribute("hx-indicator", row + ", #loading-bar");
    dialog.querySelector("[data-delete-name]").textContent = opener.getAttribute("data-delete-name");
    dialog.querySelector("[data-delete-website]").textContent = opener.getAttribute("data-delete-website");
  }

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("[data-delete-form]");
    if (!form || !window.htmx || !form.getAttribute("data-delete-row")) return;
    event.preventDefault();
    form.closest("dialog").close();
    htmx.ajax("POST", form.action, { source: form, target: form.getAttribute("data-delete-row"), swap: "outerHTML" });
  });

  // Copy buttons (an invitation link): shown where the browser lets a page write the clipboard;
  // without it the field is still there to select.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = !(navigator.clipboard && window.isSecureContext);
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    const field = document.querySelector(button.getAttribute("data-copy"));
    navigator.clipboard.writeText(field.value).then(
      function () { showToast({ level: "success", message: gettext("Link copied.") }); },
      function () {
        field.select();
        showToast({ level: "info", message: gettext("The browser did not allow copying: the link is selected, copy it with your keyboard.") });
      }
    );
  });

  // A dialog's htmx form closes its dialog once the request is on its way.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    const dialog = event.target.closest && event.target.closest("dialog[open]");
    if (dialog) dialog.close();
  });

  // The theme switch: the page changes at once; htmx stores the choice (without JS the form
  // posts and the page comes back in the new theme).

  document.addEventListener("click", function (event) {
    const choice = event.target.closest("[data-theme-choice]");
    if (!choice || !window.htmx) return;
    document.documentElement.setAttribute("data-theme", choice.value);
    choice.closest("form").querySelectorAll("[data-theme-choice]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button === choice));
    });
  });

  // Menus (<details data-menu>): close on outside click and Escape.

  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });

  // Counters that tick: "updated N s ago" and a rate limit's countdown.

  function tick() {
    document.querySelectorAll("[data-age]").forEach(function (el) {
      const age = Number(el.getAttribute("data-age")) + 1;
      el.setAttribute("data-age", age);
      el.textContent = age < 120 ? interpolate(gettext("%(seconds)s s"), { seconds: age }, true)
        : interpolate(gettext("%(minutes)s min"), { minutes: Math.round(age / 60) }, true);
    });
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      const left = Math.max(0, Number(el.getAttribute("data-countdown")) - 1);
      el.setAttribute("data-countdown", left);
      el.textContent = left;
    });
  }
  setInterval(tick, 1000);

  // Bulk selection in the flows list: the header's box selects the page, the bar says how many
  // are selected and offers every match of the query once the whole page is. The boxes and the
  // bar's buttons work without this too (the bar is then always shown whole).

  function updateBulkBar() {
    const form = document.getElementById("bulk-form");
    if (!form) return;
    const boxes = Array.from(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));
    const chosen = boxes.filter(function (box) { return box.checked; }).length;
    // The header's box, and the bar's on phones (where the cards have no header).
    const pages = document.querySelectorAll("[data-select-page]");
    const match = form.querySelector("[data-bulk-match]");
    const wholePage = boxes.length > 0 && chosen === boxes.length;
    pages.forEach(function (page) {
      page.hidden = boxes.length === 0;
      page.checked = wholePage;
      page.indeterminate = chosen > 0 && !wholePage;
    });
    // Once taken, the offer is said by the count ("All 40 matching flows selected"): it goes, and
    // comes back when a box of the page is unticked. A keyboard user who took it goes on to the
    // actions rather than to nowhere.
    const tookOffer = match && match.checked && document.activeElement === match;
    if (match) {
      if (!wholePage) match.checked = false;
      match.closest("label").hidden = !wholePage || match.checked;
    }
    const all = match && match.checked;
    const count = form.querySelector("[data-bulk-count]");
    count.textContent = all ? form.getAttribute("data-label-all")
      : chosen ? interpolate(ngettext("%(count)s selected", "%(count)s selected", chosen), { count: chosen }, true)
      : form.getAttribute("data-label-none");
    form.classList.add("is-scripted");
    form.classList.toggle("has-selection", chosen > 0);
    form.querySelectorAll("[data-bulk-action]").forEach(function (button) { button.disabled = chosen === 0; });
    if (tookOffer) form.querySelector("[data-bulk-action]").focus();
    // "Set fields…" and "Copy to…" open a panel, not a form: they say they are off like the
    // buttons, and stay shut.
    form.querySelectorAll("[data-bulk-panel]").forEach(function (panel) {
      panel.querySelector("summary").setAttribute("aria-disabled", String(chosen === 0));
      if (chosen === 0) panel.open = false;
    });
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest('[data-bulk-panel] > summary[aria-disabled="true"]')) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.matches("[data-select-page]")) {
      document.querySelectorAll('input[name="ids"][form="bulk-form"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches('[data-select-page], [data-bulk-match], input[name="ids"][form="bulk-form"]')) updateBulkBar();
  });
  document.body.addEventListener("htmx:afterSettle", updateBulkBar);
  updateBulkBar();

  // The flow form: character counters, the image picker and the live preview.

  function hostOf(url) {
    try { return new URL(url).hostname; } catch (error) { return ""; }
  }

  function initFlowForm(form) {
    const preview = document.querySelector("[data-preview]");
    const field = function (name) { return form.elements.namedItem(name); };
    const thumb = form.querySelector("[data-image-thumb]");
    const empty = form.querySelector("[data-image-empty]");
    const previewImage = preview && preview.querySelector("[data-preview-image]");
    const originalImage = thumb ? thumb.getAttribute("src") : "";
    let objectUrl = null;

    function setImage(src) {
      [thumb, previewImage].forEach(function (img) {
        if (!img) return;
        if (src) img.src = src; else img.removeAttribute("src");
        img.hidden = !src;
      });
      if (empty) empty.hidden = Boolean(src);
    }

    function text(name, fallback) {
      const input = field(name);
      return (input && input.value.trim()) || fallback;
    }

    function render() {
      if (!preview) return;
      preview.querySelector("[data-preview-title]").textContent = text("title", gettext("Notification title"));
      preview.querySelector("[data-preview-description]").textContent =
        text("description", gettext("The message your subscribers will read."));
      // The browser names the website the subscriber is on (its option's host), else the link's.
      const website = field("website_id");
      const chosen = website && website.selectedOptions && website.selectedOptions[0];
      const host = (chosen && chosen.getAttribute("data-host")) || hostOf(text("url", "")) || "your-website.com";
      preview.querySelector("[data-preview-host]").textContent = host;
      preview.querySelector("[data-preview-icon]").textContent = host.charAt(0).toUpperCase();
      let anyButton = false;
      [1, 2].forEach(function (n) {
        const button = preview.querySelector('[data-preview-button="' + n + '"]');
        const label = text("button_title_" + n, "");
        button.textContent = label;
        button.hidden = !label;
        anyButton = anyButton || Boolean(label);
      });
      preview.querySelector("[data-preview-buttons]").hidden = !anyButton;
    }

    const picker = field("image");
    if (picker) {
      picker.addEventListener("change", function () {
        if (objectUrl) URL.revokeObjectURL(objectUrl);
        const file = picker.files && picker.files[0];
        objectUrl = file ? URL.createObjectURL(file) : null;
        const remove = field("image_remove");
        if (remove && file) remove.checked = false;
        setImage(objectUrl || originalImage);
      });
    }
    const remove = field("image_remove");
    if (remove) {
      remove.addEventListener("change", function () {
        setImage(remove.checked ? "" : objectUrl || originalImage);
      });
    }

    // What the browser can tell before anything is sent; the server checks the same again. A
    // message says what is wrong, live, and the form is not sent while one shows.
    function problemSlot(input) {
      const slot = document.createElement("p");
      slot.className = "field-error";
      slot.id = input.id + "_problem";
      slot.setAttribute("role", "status");
      slot.hidden = true;
      input.closest(".field").append(slot);
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + slot.id).trim());
      return function (message) {
        slot.textContent = message;
        slot.hidden = !message;
        if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
        input.closest(".field").classList.toggle("has-error", Boolean(message));
      };
    }

    // A live "n / max" under every limited text field. The browser's maxlength would cut a pasted
    // text silently, so the limit is checked here instead and an overlong text says so.
    form.querySelectorAll("input[maxlength]:not([type=url]), textarea[maxlength]").forEach(function (input) {
      const counter = document.createElement("span");
      counter.className = "counter";
      counter.setAttribute("aria-hidden", "true");
      const max = Number(input.getAttribute("maxlength"));
      input.removeAttribute("maxlength");
      const say = problemSlot(input);
      const update = function () {
        const length = input.value.length;
        counter.textContent = length + " / " + max;
        counter.classList.toggle("is-near", length > max * 0.9);
        const tooLong = gettext("%(length)s characters, %(over)s over the limit of %(max)s: shorten it to save.");
        say(length > max ? interpolate(tooLong, { length: length, over: length - max, max: max }, true) : "");
      };
      const label = form.querySelector('label[for="' + input.id + '"]');
      if (label) label.append(counter); else input.insertAdjacentElement("afterend", counter);
      input.addEventListener("input", update);
      update();
    });

    if (picker) {
      const say = problemSlot(picker);
      const types = picker.getAttribute("accept").split(",");
      const maxBytes = Number(picker.getAttribute("data-max-bytes"));
      const megabytes = function (bytes) { return (bytes / 1048576).toFixed(1) + " MB"; };
      picker.addEventListener("change", function () {
        const file = picker.files && picker.files[0];
        if (file && types.indexOf(file.type) < 0) {
          say(gettext("This file is not a JPEG, PNG, GIF or WebP image. Choose another file."));
        } else if (file && file.size > maxBytes) {
          const tooBig = gettext("This image is %(size)s; the limit is %(max)s. Choose a smaller file.");
          say(interpolate(tooBig, { size: megabytes(file.size), max: megabytes(maxBytes) }, true));
        } else {
          say("");
        }
        if (picker.hasAttribute("aria-invalid")) setImage(originalImage);
      });
    }

    form.addEventListener("submit", function (event) {
      const invalid = form.querySelector("[aria-invalid=true]");
      if (invalid) {
        event.preventDefault();
        invalid.focus();
      }
    });

    form.addEventListener("input", render);
    render();
  }

  document.querySelectorAll("form[data-flow-form]").forEach(initFlowForm);

  // Trend charts are one tab stop (the latest day or hour); the arrow keys, Home and End move
  // between the others, each showing its values as it takes the focus.
  document.addEventListener("keydown", function (event) {
    const mark = event.target instanceof Element && event.target.closest(".chart .mark");
    if (!mark) return;
    const marks = Array.from(mark.parentNode.querySelectorAll(".mark"));
    const index = marks.indexOf(mark);
    const next = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: marks.length - 1 }[event.key];
    if (next === undefined || !marks[next]) return;
    event.preventDefault();
    mark.tabIndex = -1;
    marks[next].tabIndex = 0;
    marks[next].focus();
  });

  // A form sent the classic way cannot be sent twice; its button shows it is busy. Registered
  // last, so that forms other code sends itself (the delete dialog) have been prevented by then.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (event.defaultPrevented || form.method !== "post" || form.hasAttribute("hx-post")) return;
    if (form.hasAttribute("data-sending")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sending", "");
    const button = event.submitter || form.querySelector("[type=submit]");
    if (button) button.setAttribute("aria-busy", "true");
  });
  // Back to a page kept in the browser's memory: its forms can be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.querySelectorAll("[aria-busy]").forEach(function (el) { el.removeAttribute("aria-busy"); });
    });
  });
})();
