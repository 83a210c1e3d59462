/* Photos shrunk on the phone before they are sent: a chosen image becomes a JPEG of at
   most 1600 px on its long side (the size the server keeps), drawn upright from its EXIF
   orientation, so three photos weigh about a megabyte instead of fifteen and pass the
   5 MB limit. The server still checks and re-encodes everything (portal/uploads).
   While the photos are prepared the form waits (a tap on the button sends it when they
   are ready); while it is sent the button is busy and the progress is shown. The words
   come from this tag's data- attributes (translated there; no inline code, the CSP
   allows none). Without JavaScript, or where an image cannot be decoded here, the chosen
   file is sent as it is. */
(function () {
  "use strict";
  var MAX_SIDE = 1600;
  var QUALITY = 0.85;
  var tag = document.currentScript;
  if (!tag || !window.DataTransfer || !window.HTMLCanvasElement) return;
  function word(name) { return tag.getAttribute("data-" + name) || ""; }
  var pending = new WeakMap(); // form -> promise of its photos being prepared

  function isPhotoInput(element) {
    return element && element.tagName === "INPUT" && element.type === "file" && /image\//.test(element.accept || "");
  }

  function statusFor(input) {
    var box = input.closest(".field") || input.parentNode;
    var status = box.querySelector("[data-photo-status]");
    if (!status) {
      status = document.createElement("p");
      status.className = "hint";
      status.setAttribute("data-photo-status", "");
      status.setAttribute("aria-live", "polite");
      var text = document.createElement("span");
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.hidden = true;
      bar.setAttribute("aria-hidden", "true"); // the text beside it says the same
      status.appendChild(text);
      status.appendChild(document.createTextNode(" "));
      status.appendChild(bar);
      box.appendChild(status);
    }
    return status;
  }

  function show(status, text, percent) {
    status.querySelector("span").textContent = text;
    var bar = status.querySelector("progress");
    bar.hidden = percent === undefined;
    if (percent === null) bar.removeAttribute("value");
    else if (percent !== undefined) bar.value = percent;
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  // Upright from the EXIF orientation: createImageBitmap's "from-image", or an <img>,
  // which browsers draw upright by default.
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return decodeWithImage(file); });
    }
    return decodeWithImage(file);
  }

  function decodeWithImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("undecodable")); };
      image.src = url;
    });
  }

  function shrink(file) {
    if (!/^image\//.test(file.type)) return Promise.resolve(file);
    return decode(file).then(function (picture) {
      var width = picture.naturalWidth || picture.width;
      var height = picture.naturalHeight || picture.height;
      var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
      if (scale === 1 && file.type === "image/jpeg") {
        if (picture.close) picture.close();
        return file; // already small enough: the server re-encodes it anyway
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff"; // transparency on white, as the server does
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.imageSmoothingEnabled = true;
      context.imageSmoothingQuality = "high";
      context.drawImage(picture, 0, 0, canvas.width, canvas.height);
      if (picture.close) picture.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; }); // sent as chosen: the server says what is wrong
  }

  function prepare(input) {
    var chosen = Array.prototype.slice.call(input.files || []);
    if (!chosen.length) return Promise.resolve();
    var status = statusFor(input);
    var ready = [];
    var before = 0;
    // One at a time: a phone holds one decoded photo in memory, not three.
    var chain = Promise.resolve();
    chosen.forEach(function (file, index) {
      chain = chain.then(function () {
        show(status, word("preparing").replace("{n}", String(index + 1)).replace("{count}", String(chosen.length)), Math.round(index / chosen.length * 100));
        before += file.size;
        return shrink(file).then(function (result) { ready.push(result); });
      });
    });
    return chain.then(function () {
      var transfer = new DataTransfer();
      var after = 0;
      ready.forEach(function (file) { transfer.items.add(file); after += file.size; });
      input.files = transfer.files; // no change event: this is not prepared again
      show(status, word("ready").replace("{size}", megabytes(after)));
      input.setAttribute("data-photos-ready", String(after < before ? before - after : 0));
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!isPhotoInput(input) || !input.form) return;
    var form = input.form;
    var previous = pending.get(form) || Promise.resolve();
    var job = previous.then(function () { return prepare(input); });
    pending.set(form, job);
    job.then(function () { if (pending.get(form) === job) pending.delete(form); });
  });

  function photoForm(form) {
    return form && form.querySelector && Array.prototype.some.call(form.querySelectorAll("input[type=file]"), isPhotoInput);
  }

  function busy(form, submitter) {
    var button = submitter || form.querySelector("button[type=submit], button:not([type])");
    if (!button) return;
    if (!button.hasAttribute("data-idle-label")) button.setAttribute("data-idle-label", button.textContent);
    button.textContent = word("busy");
    button.setAttribute("aria-busy", "true");
    // After the form has been sent: a button disabled during the submit event is left out.
    setTimeout(function () { button.disabled = true; }, 0);
    var input = Array.prototype.filter.call(form.querySelectorAll("input[type=file]"), isPhotoInput)[0];
    if (input && input.files && input.files.length) show(statusFor(input), word("busy"), null);
  }

  function idle(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-idle-label]"), function (button) {
      button.textContent = button.getAttribute("data-idle-label");
      button.removeAttribute("data-idle-label");
      button.removeAttribute("aria-busy");
      button.disabled = false;
    });
  }

  // In the capture phase, before htmx's own listener on the form: a form whose photos are
  // still being prepared waits for them and is then sent again as it was.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!photoForm(form)) return;
    var job = pending.get(form);
    var submitter = event.submitter || null;
    if (job) {
      event.preventDefault();
      event.stopImmediatePropagation();
      busy(form, submitter);
      job.then(function () {
        idle(form);
        if (form.requestSubmit) form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        else form.submit();
      });
      return;
    }
    busy(form, submitter);
  }, true);

  // htmx sends the form with XMLHttpRequest: its upload progress, and the button back
  // when the answer is not a new page (a refused form is swapped in place).
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target;
    var detail = event.detail || {};
    if (!photoForm(form) || !detail.lengthComputable || !detail.total) return;
    var input = Array.prototype.filter.call(form.querySelectorAll("input[type=file]"), isPhotoInput)[0];
    if (!input || !input.files || !input.files.length) return;
    var percent = Math.round(detail.loaded / detail.total * 100);
    show(statusFor(input), word("sending").replace("{percent}", percent + " %"), percent);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (photoForm(event.target)) idle(event.target);
  });
  // A page brought back from the browser's cache must not keep a busy button.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) Array.prototype.forEach.call(document.forms, idle);
  });
})();
