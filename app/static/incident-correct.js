/* Dalili incident page, correcting the place (#16): the search by name (a type-ahead over
   data-places, the API's GET /api/places, read with her session) and Enter pressing the button of
   the way of choosing she is in. Without this script the form still posts every other way.
   A settlement she picks fills the hidden "found" field for "Use the place found"; admin areas found
   are offered in the admin-area list. The picked place is shown on the map through a
   "dalili:place-preview" event (incident-map.js). Texts come from data- attributes, set as text. */
(function () {
  "use strict";
  var form = document.getElementById("place-correction");
  if (!form || !window.fetch) {
    return;
  }
  var search = form.querySelector('fieldset[data-way="search"]');
  var input = document.getElementById("place-query");
  var list = document.getElementById("place-results");
  var status = document.getElementById("place-status");
  var found = document.getElementById("place-found");
  var useFound = search.querySelector("button[type=submit]");
  var areaSelect = document.getElementById("place-area");
  var areaButton = form.querySelector('fieldset[data-way="area"] button[type=submit]');
  var options = [];
  var active = -1;
  var asked = 0;
  var timer = null;
  var MIN_LETTERS = 2;
  var LIMIT = 10;

  search.hidden = false;

  function say(text) {
    status.textContent = text;
  }

  function letters(text) {
    return (text.match(/[\p{L}\p{N}]/gu) || []).length;
  }

  function describe(option) {
    var parts = [option.kind || ""];
    var areas = option.areas || {};
    var area = areas.adm2_name || areas.adm1_name;
    if (area && area !== option.name) {
      parts.push(area);
    }
    if (option.country) {
      parts.push(option.country);
    }
    return option.name + " (" + parts.filter(Boolean).join(", ") + ")";
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var items = list.children;
    for (var i = 0; i < items.length; i += 1) {
      items[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    }
  }

  function offerAreas() {
    var group = areaSelect.querySelector("optgroup[data-found]");
    if (group) {
      group.remove();
    }
    var areas = options.filter(function (option) {
      return option.precision > 1 && option.pcode;
    });
    if (!areas.length) {
      return;
    }
    group = document.createElement("optgroup");
    group.setAttribute("data-found", "");
    group.label = form.getAttribute("data-found-areas");
    areas.forEach(function (option) {
      var item = document.createElement("option");
      item.value = option.pcode;
      item.textContent = option.name + " (" + option.pcode + ")";
      group.appendChild(item);
    });
    areaSelect.appendChild(group);
  }

  function show(places) {
    options = places;
    list.textContent = "";
    places.forEach(function (option, index) {
      var item = document.createElement("li");
      item.id = "place-option-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.textContent = describe(option);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the input
        choose(index);
      });
      list.appendChild(item);
    });
    offerAreas();
    if (!places.length) {
      close();
      say(form.getAttribute("data-none"));
      return;
    }
    say("");
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
  }

  function choose(index) {
    var option = options[index];
    close();
    input.value = option.name;
    say(form.getAttribute("data-chosen").replace("{place}", describe(option)));
    document.dispatchEvent(
      new CustomEvent("dalili:place-preview", { detail: { lon: option.lon, lat: option.lat, label: option.name } })
    );
    if (option.precision > 1 && option.pcode) {
      areaSelect.value = option.pcode; // an admin area: "the area only" takes it
      found.value = "";
      useFound.disabled = true;
      areaButton.focus();
      return;
    }
    found.value = JSON.stringify({
      name: option.name,
      country: option.country,
      lon: option.lon,
      lat: option.lat,
      kind: option.kind
    });
    useFound.disabled = false;
  }

  function ask() {
    var text = input.value.trim();
    found.value = "";
    useFound.disabled = true;
    if (letters(text) < MIN_LETTERS) {
      close();
      say("");
      return;
    }
    var query = new URLSearchParams({ q: text, limit: String(LIMIT) });
    if (form.getAttribute("data-country")) {
      query.set("country", form.getAttribute("data-country"));
    }
    var number = (asked += 1);
    say(form.getAttribute("data-searching"));
    window
      .fetch(form.getAttribute("data-places") + "?" + query.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) {
          throw new Error("search answered " + response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        if (number === asked) {
          show(answer.places || []);
        }
      })
      .catch(function () {
        if (number === asked) {
          close();
          say(form.getAttribute("data-failed"));
        }
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 250);
  });
  input.addEventListener("blur", close);
  input.addEventListener("keydown", function (event) {
    var open = !list.hidden && options.length;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      highlight((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (open && active >= 0) {
        choose(active);
      }
    } else if (event.key === "Escape") {
      close();
    }
  });

  // Enter in a field presses the button of its own way of choosing, never another one.
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || target === input || target.tagName !== "INPUT") {
      return;
    }
    event.preventDefault();
    var way = target.closest("fieldset[data-way]");
    var button = way && way.querySelector("button[type=submit]");
    if (button && !button.disabled) {
      button.click();
    }
  });
})();
