// The kanban board: drag a card to another column; the drop POSTs the card's version. When the
// server refuses (the card changed meanwhile, a lost reason is needed, no permission) the card
// snaps back to where it was and the message is shown. Keyboard and phone users use the stage
// select on the opportunity's page, which posts to the same endpoint.
(function () {
  "use strict";
  const board = document.querySelector(".pipeline-board");
  if (!board) return;
  const status = document.getElementById("board-status");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  const urlTemplate = board.dataset.moveUrlTemplate;
  let dragged = null;
  let origin = null;
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

  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest(".pipeline-card[draggable=true]");
    if (!card) return;
    dragged = card;
    origin = card.parentElement;
    originNext = card.nextSibling;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
  });
  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drag-over").forEach((el) => el.classList.remove("drag-over"));
  });
  board.addEventListener("dragover", (event) => {
    const zone = event.target.closest("[data-dropzone]");
    if (!zone || !dragged) return;
    event.preventDefault();
    zone.classList.add("drag-over");
  });
  board.addEventListener("dragleave", (event) => {
    const zone = event.target.closest("[data-dropzone]");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("drag-over");
  });
  board.addEventListener("drop", async (event) => {
    const zone = event.target.closest("[data-dropzone]");
    if (!zone || !dragged) return;
    event.preventDefault();
    zone.classList.remove("drag-over");
    const card = dragged;
    dragged = null;
    const from = origin.closest(".pipeline-column");
    const to = zone.closest(".pipeline-column");
    if (from === to) return;
    zone.prepend(card);
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
      if (ok) card.dataset.version = String(data.version);
    } catch {
      message = board.dataset.networkError;
    }
    if (!ok) {
      origin.insertBefore(card, originNext);
      count(to, -1);
      count(from, +1);
    }
    say(message, ok);
  });
})();
