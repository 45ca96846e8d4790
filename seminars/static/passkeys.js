// Passkeys (WebAuthn): signing in with one, and adding one on the security page.
// The server sends options as JSON with base64url strings; the browser's API wants bytes.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error(data.error || response.statusText);
        }
        return data;
      });
    });
  }

  function responseOf(credential) {
    var response = credential.response;
    var answer = {
      clientDataJSON: toText(response.clientDataJSON),
    };
    if (response.attestationObject) {
      answer.attestationObject = toText(response.attestationObject);
      answer.transports = response.getTransports ? response.getTransports() : [];
    } else {
      answer.authenticatorData = toText(response.authenticatorData);
      answer.signature = toText(response.signature);
      answer.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: answer,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function showError(box, message) {
    box.querySelector("[data-passkey-error]").textContent = message;
  }

  function setUpLogin(box) {
    var csrf = box.getAttribute("data-csrf");
    box.hidden = false;
    box.querySelector("button").addEventListener("click", function () {
      showError(box, "");
      post(box.getAttribute("data-options-url"), csrf)
        .then(function (options) {
          options.challenge = toBytes(options.challenge);
          options.allowCredentials = descriptors(options.allowCredentials);
          return navigator.credentials.get({ publicKey: options });
        })
        .then(function (credential) {
          return post(box.getAttribute("data-login-url"), csrf, {
            credential: responseOf(credential),
          });
        })
        .then(function (result) {
          window.location.assign(result.redirect);
        })
        .catch(function (error) {
          showError(box, error.message);
        });
    });
  }

  function setUpAdd(form) {
    var csrf = form.querySelector("[name=csrf_token]").value;
    var name = form.querySelector("[name=name]");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      showError(form, "");
      if (!name.value.trim()) {
        post(form.getAttribute("data-add-url"), csrf, { name: "" }).catch(function (error) {
          showError(form, error.message);
          name.focus();
        });
        return;
      }
      post(form.getAttribute("data-options-url"), csrf)
        .then(function (options) {
          options.challenge = toBytes(options.challenge);
          options.user.id = toBytes(options.user.id);
          options.excludeCredentials = descriptors(options.excludeCredentials);
          return navigator.credentials.create({ publicKey: options });
        })
        .then(function (credential) {
          return post(form.getAttribute("data-add-url"), csrf, {
            name: name.value,
            credential: responseOf(credential),
          });
        })
        .then(function (result) {
          window.location.assign(result.redirect);
        })
        .catch(function (error) {
          showError(form, error.message);
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey-login]").forEach(setUpLogin);
    document.querySelectorAll("[data-passkey-add]").forEach(setUpAdd);
  });
})();
