"use strict";
// Every page of the dashboard, as the suite opens it. Adding a page to the suite is one entry:
// it is then opened (200, its CSP, no console error), audited by axe-core, screenshotted to
// <screenshots>/<name>.png, and visited with hostile text in the data.
//
//   name     the screenshot's file name, and the test's
//   path     (sids) => the page's path; `sids` is what `seed` returns: { message, failed, call,
//            whatsapp, whatsappUser }. `tenant=` is added when the path has none
//   heading  the page's <h1>, a string or a RegExp
//   phone    also screenshot at phone width (<name>-phone.png)
//   ready    (page) => a promise: anything more to wait for before the page is checked (the
//            live state is always waited for)

export const PAGES = [
  { name: "overview", path: () => "/", heading: "Overview", phone: true },
  { name: "messages", path: () => "/ui/messages", heading: "Messages", phone: true },
  {
    name: "message",
    path: (sids) => `/ui/messages/${encodeURIComponent(sids.message)}`,
    heading: /^Message SM[0-9a-f]{32}$/,
    ready: (page) => page.locator("#timeline li").first().waitFor(),
  },
  {
    name: "message-whatsapp",
    path: (sids) => `/ui/messages/${encodeURIComponent(sids.whatsapp)}`,
    heading: /^Message wamid\./,
  },
  { name: "calls", path: () => "/ui/calls", heading: "Calls" },
  {
    name: "call",
    path: (sids) => `/ui/calls/${encodeURIComponent(sids.call)}`,
    heading: /^Call CA[0-9a-f]{32}$/,
    ready: (page) => page.locator("#transcript li").first().waitFor(),
  },
  {
    name: "conversations",
    path: () => "/ui/conversations",
    heading: "Conversations",
  },
  {
    name: "conversation",
    path: (sids) => `/ui/conversations/thread?channel=whatsapp&user=${encodeURIComponent(sids.whatsappUser)}`,
    heading: /^263778177125\s+whatsapp$/,
    ready: (page) => page.locator("#thread").waitFor(),
  },
  { name: "callbacks", path: () => "/ui/callbacks", heading: "Callbacks" },
  { name: "tenants", path: () => "/ui/tenants", heading: "Tenants" },
  { name: "simulator", path: () => "/ui/simulator", heading: "Simulator" },
  { name: "clear", path: () => "/ui/clear?scope=tenant", heading: "Clear this tenant's data?" },
];
