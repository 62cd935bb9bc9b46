// Every page reads its access key from the URL fragment and syncs in the browser, so
// pages render on the client; the server only sends the shell.
export const ssr = false;
