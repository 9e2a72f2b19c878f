// The console's DNS page: a "Copy" button beside each record's value copies it to the clipboard.
// A static file (the page's Content-Security-Policy allows scripts from this origin only, none inline);
// without it the buttons stay hidden and the values are plain selectable text.
"use strict";
(function () {
    function copied(button, word) {
        const before = button.dataset.label || button.textContent;
        button.dataset.label = before;
        button.textContent = word;
        setTimeout(function () { button.textContent = before; }, 2000);
    }
    function select(element) {
        const range = document.createRange();
        range.selectNodeContents(element);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
            const source = document.getElementById(button.dataset.copy);
            if (!source) {
                return;
            }
            const text = source.textContent;
            if (navigator.clipboard && window.isSecureContext) {
                navigator.clipboard.writeText(text).then(function () { copied(button, "Copied"); },
                    function () { select(source); copied(button, "Selected: press Ctrl+C"); });
            } else {
                // Plain HTTP off loopback has no clipboard API: select the text for the operator to copy.
                select(source);
                copied(button, document.execCommand && document.execCommand("copy") ? "Copied" : "Selected: press Ctrl+C");
            }
        });
    });
}());
