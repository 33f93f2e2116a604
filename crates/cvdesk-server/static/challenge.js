// Answers the report form's "is a person sending this" check in the browser, so
// the finder does not have to. Progressive enhancement only: the question in
// #challenge-question is the answer without JavaScript, and it comes back
// whenever the browser cannot finish the work.
"use strict";
(function () {
  const fieldset = document.getElementById("challenge");
  const form = fieldset && fieldset.form;
  const token = document.getElementById("challenge_token");
  const solution = document.getElementById("challenge_solution");
  const question = document.getElementById("challenge-question");
  const answer = document.getElementById("challenge_answer");
  const status = document.getElementById("challenge-status");
  const progress = document.getElementById("challenge-progress");
  if (!form || !token || !solution || !question || !answer || !status || !window.Worker) {
    return;
  }
  const difficulty = Number(fieldset.dataset.difficulty);
  if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 32) {
    return;
  }
  /** After this long without a solution the question is shown instead; a slow phone may need a minute. */
  const TIME_LIMIT_MS = 120000;
  const expectedTries = Math.pow(2, difficulty);

  let worker;
  try {
    worker = new Worker("/static/challenge-worker.js");
  } catch (error) {
    return;
  }
  // "working" until the worker answers, then "done" or "failed" for good.
  let state = "working";
  // Set when the finder sends the form before the check is done.
  let waitingSubmit = null;
  let timer = null;

  const say = function (text) {
    status.textContent = text;
    status.hidden = false;
  };

  const send = function (submitter) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(submitter || undefined);
      return;
    }
    // form.submit() leaves out the button that was pressed.
    if (submitter && submitter.name) {
      const pressed = document.createElement("input");
      pressed.type = "hidden";
      pressed.name = submitter.name;
      pressed.value = submitter.value;
      form.appendChild(pressed);
    }
    form.submit();
  };

  const giveUp = function (text) {
    if (state !== "working") {
      return;
    }
    state = "failed";
    clearTimeout(timer);
    worker.terminate();
    solution.value = "";
    if (progress) {
      progress.hidden = true;
    }
    question.hidden = false;
    say(text);
    if (waitingSubmit) {
      waitingSubmit = null;
      answer.focus();
    }
  };

  worker.onmessage = function (event) {
    const message = event.data || {};
    if (state !== "working") {
      return;
    }
    if (typeof message.solution === "string") {
      state = "done";
      clearTimeout(timer);
      worker.terminate();
      solution.value = message.solution;
      answer.value = "";
      if (progress) {
        progress.value = 1;
        progress.hidden = true;
      }
      say("Check done.");
      if (waitingSubmit) {
        const submitter = waitingSubmit.submitter;
        waitingSubmit = null;
        send(submitter);
      }
    } else if (typeof message.tried === "number" && progress) {
      progress.value = 1 - Math.exp(-message.tried / expectedTries);
    }
  };
  worker.onerror = function () {
    giveUp("Your browser could not do the check. Please answer the question instead.");
  };
  worker.onmessageerror = worker.onerror;

  form.addEventListener("submit", function (event) {
    if (state !== "working") {
      return;
    }
    event.preventDefault();
    waitingSubmit = { submitter: event.submitter || null };
    say("Finishing the check; your report will be sent as soon as it is done.");
  });

  question.hidden = true;
  if (progress) {
    progress.value = 0;
    progress.hidden = false;
  }
  say("Your browser is doing a short check so we know a person is sending this…");
  timer = setTimeout(function () {
    giveUp("Your browser could not finish the check in time. Please answer the question instead.");
  }, TIME_LIMIT_MS);
  worker.postMessage({ token: token.value, difficulty: difficulty });
})();
