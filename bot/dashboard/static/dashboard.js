// Duban's dashboard: fetches the server-rendered parts, carries Telegram's initData on every
// call (or relies on the local login's cookie), and sends the two writes. No library, no build.
(function () {
  "use strict";
  var prefix = document.body.getAttribute("data-prefix");
  var view = document.getElementById("view");
  var toast = document.getElementById("toast");
  var tg = window.Telegram && window.Telegram.WebApp;
  var fromHash = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
  var initData = (tg && tg.initData) || fromHash || "";
  var query = new URLSearchParams(location.search);
  var state = { view: query.get("view") || "overview", plan: query.get("plan") || "", params: {} };

  if (tg) {
    tg.ready();
    tg.expand();
  }

  function headers(extra) {
    var h = extra || {};
    if (initData) h["Authorization"] = "tma " + initData;
    return h;
  }

  function say(text) {
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { toast.hidden = true; }, 4000);
  }

  function show(name, params) {
    state.view = name;
    state.params = params || {};
    var url = new URL(prefix + "/api/" + (name === "task" ? "task/" + state.params.task : name),
                      location.origin);
    if (state.plan) url.searchParams.set("plan", state.plan);
    Object.keys(state.params).forEach(function (key) {
      if (key !== "task" && state.params[key] !== "" && state.params[key] != null) {
        url.searchParams.set(key, state.params[key]);
      }
    });
    document.querySelectorAll(".tab").forEach(function (tab) {
      tab.classList.toggle("active", tab.getAttribute("data-go") === name);
    });
    return fetch(url, { headers: headers(), credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        view.innerHTML = html;
        relabel(view.querySelector("[data-labels]"));
        var section = view.querySelector("section[data-plan]");
        if (section) state.plan = section.getAttribute("data-plan");
        loadFiles();
        window.scrollTo(0, 0);
        document.body.setAttribute("data-shown", name);
      })
      .catch(function () { say("⚠"); });
  }

  // The page is written before anyone is known; the viewer's language comes with each part.
  function relabel(head) {
    if (!head) return;
    var labels = head.getAttribute("data-labels").split("|");
    document.documentElement.lang = head.getAttribute("data-lang") === "en" ? "en" : "zh-CN";
    document.querySelector(".top h1").textContent = labels[0];
    document.title = labels[0];
    document.querySelectorAll(".tab").forEach(function (tab, i) { tab.textContent = labels[i + 1]; });
  }

  function fileBlob(id) {
    return fetch(prefix + "/api/file/" + id, { headers: headers(), credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.blob();
      });
  }

  function loadFiles() {
    view.querySelectorAll("img[data-file]").forEach(function (img) {
      fileBlob(img.getAttribute("data-file"))
        .then(function (blob) { img.src = URL.createObjectURL(blob); })
        .catch(function () { img.remove(); });
    });
  }

  function write(path, body) {
    return fetch(prefix + "/api/" + path, {
      method: "POST",
      credentials: "same-origin",
      headers: headers({ "Content-Type": "application/json", "X-Duban": "1" }),
      body: JSON.stringify(body),
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        say(answer.message);
        return show(state.view, state.params);
      });
  }

  function filters() {
    var form = view.querySelector("form[data-filters]");
    var params = {};
    new FormData(form).forEach(function (value, key) { params[key] = value; });
    return params;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("button, a");
    if (!target) return;
    if (target.hasAttribute("data-go")) {
      var name = target.getAttribute("data-go");
      var params = {};
      ["task", "section", "light", "unit"].forEach(function (key) {
        if (target.hasAttribute("data-" + key)) params[key] = target.getAttribute("data-" + key);
      });
      show(name, params);
    } else if (target.hasAttribute("data-page")) {
      var paged = Object.assign({}, state.params, { page: target.getAttribute("data-page") });
      show(state.view, paged);
    } else if (target.hasAttribute("data-review")) {
      write("review/" + target.getAttribute("data-review"), { decision: "accept" });
    } else if (target.hasAttribute("data-chase")) {
      write("chase", { plan: state.plan, unit: target.getAttribute("data-chase") });
    } else if (target.matches("a[data-file]")) {
      event.preventDefault();
      fileBlob(target.getAttribute("data-file")).then(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = target.getAttribute("data-name");
        link.click();
      }).catch(function () { say("⚠"); });
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-return")) return;
    event.preventDefault();
    var reason = form.querySelector("textarea").value;
    write("review/" + form.getAttribute("data-return"), { decision: "return", reason: reason });
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches(".plan-pick")) {
      state.plan = field.value;
      show(state.view === "task" ? "overview" : state.view, {});
    } else if (field.closest("form[data-filters]")) {
      show("matrix", filters());
    }
  });

  show(state.view, {});
})();
