/* systemd's readiness protocol for relgate serve (Type=notify, examples/systemd/):
 * one datagram to the socket $NOTIFY_SOCKET names, no library needed. */
#ifndef RG_SERVE_NOTIFY_H
#define RG_SERVE_NOTIFY_H

/* Send STATE ("READY=1", "STOPPING=1", "RELOADING=1\nMONOTONIC_USEC=...") to the service
 * manager when $NOTIFY_SOCKET is set; nothing otherwise.  0 when sent or not asked for,
 * -1 when the socket is set but could not be reached (the server goes on: readiness is
 * a courtesy to the manager, not a condition of serving). */
int rg_serve_notify(const char *state);

#endif
