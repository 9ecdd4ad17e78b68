// The kanban board: drag a card to another column, with a mouse or a finger (SortableJS, which
// handles touch screens; a finger holds the card a moment first, so that a swipe still scrolls
// the board). The drop POSTs the card's version. When the server refuses (the card changed
// meanwhile, a lost reason is needed, no permission) the card snaps back to where it was and the
// message is shown. Keyboard users use the stage select on the opportunity's page, which posts
// to the same endpoint.
(function () {
  "use strict";
  const board = document.querySelector(".pipeline-board");
  if (!board || typeof Sortable === "undefined") return;
  const status = document.getElementById("board-status");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  const urlTemplate = board.dataset.moveUrlTemplate;
  let originNext = null;

  function say(text, ok) {
    status.textContent = text;
    status.classList.remove("d-none", "alert-success", "alert-danger");
    status.classList.add(ok ? "alert-success" : "alert-danger");
  }

  function count(column, delta) {
    const badge = column.querySelector("[data-count]");
    if (badge) badge.textContent = String(Math.max(0, parseInt(badge.textContent, 10) + delta));
  }

  // Where the server lists a card in a column: biggest amount first (the cards not loaded yet
  // come after the last one shown).
  function placeByAmount(zone, card) {
    const amount = parseFloat(card.dataset.amount) || 0;
    const next = Array.from(zone.querySelectorAll(".pipeline-card")).find(
      (other) => other !== card && (parseFloat(other.dataset.amount) || 0) < amount,
    );
    if (next) zone.insertBefore(card, next);
    else {
      const last = Array.from(zone.querySelectorAll(".pipeline-card")).filter((c) => c !== card).pop();
      if (last) last.after(card);
      else zone.prepend(card);
    }
  }

  async function moved(event) {
    const card = event.item;
    const from = event.from.closest(".pipeline-column");
    const to = event.to.closest(".pipeline-column");
    if (from === to) return;
    count(from, -1);
    count(to, +1);
    const body = new URLSearchParams({ stage: to.dataset.stage, version: card.dataset.version });
    let ok = false;
    let message = "";
    try {
      const response = await fetch(urlTemplate.replace("/0/", "/" + card.dataset.id + "/"), {
        method: "POST",
        headers: { "X-CSRFToken": csrf.value, Accept: "application/json" },
        body: body,
        credentials: "same-origin",
      });
      const data = await response.json();
      ok = response.ok;
      message = data.message || "";
      if (ok) {
        card.dataset.version = String(data.version);
        placeByAmount(event.to, card);
      }
    } catch {
      message = board.dataset.networkError;
    }
    if (!ok) {
      event.from.insertBefore(card, originNext);
      count(to, -1);
      count(from, +1);
    }
    say(message, ok);
  }

  board.querySelectorAll("[data-dropzone]").forEach((zone) => {
    Sortable.create(zone, {
      group: "pipeline",
      sort: false, // the order within a column is the server's (biggest amount first)
      draggable: '.pipeline-card[draggable="true"]',
      delay: 200,
      delayOnTouchOnly: true,
      touchStartThreshold: 5,
      // Touch events, not pointer events: a touchmove can be stopped from scrolling the page
      // once a card is held, where a pointermove cannot (the browser would cancel the drag).
      supportPointer: false,
      emptyInsertThreshold: 24,
      ghostClass: "drag-ghost",
      chosenClass: "dragging",
      onStart: (event) => {
        originNext = event.item.nextSibling;
      },
      onEnd: moved,
    });
  });
})();
