"""What the chair's staff page (player/web/) and the nursing station (player/station/) share over HTTP.

`LoopServer` (the server thread and loop behind the connection limits), the token, login and
failure limiter, `page_app` (auth, login, the page and its files, the live stream), one
`SseHub`, the common script (static/common.js) and the one page head (page_head.html).
Neither page imports the other; both import this.
"""
