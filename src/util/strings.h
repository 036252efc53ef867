/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef WD_STRINGS_H
#define WD_STRINGS_H

/*
 * *dst = a copy of s (malloc'ed), freeing the old value; s NULL clears it.
 * -ENOMEM (and *dst unchanged) when the copy cannot be made.
 */
int wd_set_str(char **dst, const char *s);

#endif
