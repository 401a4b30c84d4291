/* test-home.h
 *
 * A throwaway directory with a HOME inside it, as the current directory,
 * for tests of code that reads the user's files and environment.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

typedef struct
{
  char *dir;
  char *home;
  char *old_cwd;
} Fixture;

void   fixture_setup    (Fixture       *fixture,
                         gconstpointer  data);
void   fixture_teardown (Fixture       *fixture,
                         gconstpointer  data);
/* "HOME=<fixture home>" followed by the given NAME=VALUE strings. */
GStrv  make_env         (Fixture       *fixture,
                         const char    *first,
                         ...);
/* Writes @contents to @dir/@name, creating directories; returns the path. */
char  *write_file       (const char    *dir,
                         const char    *name,
                         const char    *contents);
/* Writes @contents under HOME and returns the full path. */
char  *write_home_file  (Fixture       *fixture,
                         const char    *relative,
                         const char    *contents);
