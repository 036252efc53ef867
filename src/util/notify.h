/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef WD_NOTIFY_H
#define WD_NOTIFY_H

/*
 * Send a state string ("READY=1", "STOPPING=1", ...) to the service
 * manager at $NOTIFY_SOCKET. 0 when sent, 1 when there is no manager,
 * negative errno on failure.
 */
int wd_notify(const char *state);

#endif
