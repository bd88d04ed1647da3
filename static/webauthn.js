// Klassenbuch: the navigator.credentials calls for passkeys and security keys.
// Nothing is stored in the browser; every decision is made on the server.
(function () {
  "use strict";

  function b64urlToBuf(s) {
    var pad = s.length % 4 === 0 ? "" : "====".slice(s.length % 4);
    var bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + pad);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error(j.fehler || "Der Server hat die Anfrage abgelehnt (" + r.status + ").");
        return j;
      });
    });
  }

  function status(form, text) {
    var el = form.querySelector(".webauthn-status");
    if (el) el.textContent = text;
  }

  function register(form) {
    var csrf = form.dataset.csrf;
    var label = (form.querySelector("[name=label]") || {}).value || "Passkey";
    status(form, "Bitte bestätigen Sie am Gerät …");
    post("/webauthn/registrierung/start", csrf, { label: label })
      .then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = b64urlToBuf(pk.challenge);
        pk.user.id = b64urlToBuf(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
        return navigator.credentials.create({ publicKey: pk });
      })
      .then(function (cred) {
        return post("/webauthn/registrierung/ende", csrf, {
          id: cred.id,
          rawId: bufToB64url(cred.rawId),
          type: cred.type,
          response: {
            attestationObject: bufToB64url(cred.response.attestationObject),
            clientDataJSON: bufToB64url(cred.response.clientDataJSON),
            transports: cred.response.getTransports ? cred.response.getTransports() : [],
          },
          extensions: {},
        });
      })
      .then(function (res) { window.location.assign(res.weiter || form.dataset.done || "/"); })
      .catch(function (e) { status(form, "Registrierung fehlgeschlagen: " + e.message); });
  }

  function authenticate(form) {
    var csrf = form.dataset.csrf;
    var next = form.dataset.next || "/";
    status(form, "Bitte bestätigen Sie am Gerät …");
    post("/webauthn/anmeldung/start", csrf, {})
      .then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = b64urlToBuf(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
        return navigator.credentials.get({ publicKey: pk });
      })
      .then(function (cred) {
        return post("/webauthn/anmeldung/ende?next=" + encodeURIComponent(next), csrf, {
          id: cred.id,
          rawId: bufToB64url(cred.rawId),
          type: cred.type,
          response: {
            authenticatorData: bufToB64url(cred.response.authenticatorData),
            clientDataJSON: bufToB64url(cred.response.clientDataJSON),
            signature: bufToB64url(cred.response.signature),
            userHandle: cred.response.userHandle ? bufToB64url(cred.response.userHandle) : null,
          },
          extensions: {},
        });
      })
      .then(function (res) { window.location.assign(res.weiter || next); })
      .catch(function (e) { status(form, "Bestätigung fehlgeschlagen: " + e.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    document.querySelectorAll("form.webauthn-register, form.webauthn-login").forEach(function (form) {
      if (!supported) {
        status(form, "Dieser Browser unterstützt keine Passkeys.");
        return;
      }
      form.hidden = false;
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (form.classList.contains("webauthn-register")) register(form); else authenticate(form);
      });
    });
  });
})();
