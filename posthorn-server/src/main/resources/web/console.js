// The console's dashboard: refreshes its figures from /admin/dashboard.json every few seconds.
// A static file (the page's Content-Security-Policy allows scripts from this origin only, none inline);
// the page is complete without it.
"use strict";
(function () {
    const PERIOD_MS = 3000;
    function set(id, value) {
        const element = document.getElementById(id);
        if (element && element.textContent !== String(value)) {
            element.textContent = String(value);
        }
    }
    function refusedRows(refused) {
        const body = document.getElementById("dash-refused");
        if (!body) {
            return;
        }
        const rows = refused.map(function (r) {
            const tr = document.createElement("tr");
            const code = document.createElement("td");
            const link = document.createElement("a");
            link.href = r.href;
            link.textContent = r.enhanced ? r.code + " " + r.enhanced : r.code;
            code.appendChild(link);
            const meaning = document.createElement("td");
            meaning.textContent = r.meaning || "";
            const count = document.createElement("td");
            count.textContent = String(r.count);
            tr.append(code, meaning, count);
            return tr;
        });
        body.replaceChildren.apply(body, rows);
    }
    function refresh() {
        fetch("/admin/dashboard.json", {credentials: "same-origin", cache: "no-store"})
            .then(function (response) {
                if (!response.ok) {
                    throw new Error(String(response.status));
                }
                return response.json();
            })
            .then(function (f) {
                set("dash-connections", f.connections);
                set("dash-active", f.active);
                set("dash-accepted", f.accepted);
                set("dash-refused-total", f.refusedTotal);
                Object.keys(f.queue).forEach(function (state) {
                    set("dash-queue-" + state, f.queue[state]);
                });
                set("dash-delivered", f.delivered);
                set("dash-deferred", f.deferred);
                set("dash-bounced", f.bounced);
                refusedRows(f.refused);
                set("dash-updated", new Date().toISOString().replace("T", " ").substring(0, 19) + " UTC");
            })
            .catch(function () {
                set("dash-updated", "not updated (logged out, or the server is down)");
            });
    }
    setInterval(refresh, PERIOD_MS);
}());
