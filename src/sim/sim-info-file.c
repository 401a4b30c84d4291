/* sim-info-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <errno.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sim-info-file.h"

gboolean
sim_info_file_write (const char  *path,
                     guint        port,
                     gboolean     legacy,
                     GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *contents = NULL;
  int pid = getpid ();

  g_return_val_if_fail (path != NULL, FALSE);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
                   "cannot create %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  /* Lingma on Windows names its pipe in the third line; no pipe here, but
   * the line keeps the file in the shape readers expect. */
  if (legacy)
    contents = g_strdup_printf ("%u\n%d\n\\\\.\\pipe\\lingma-sim-%d\n", port, pid, pid);
  else
    contents = g_strdup_printf ("{\"websocketPort\":%u,\"pid\":%d,\"ipcServerPath\":\"\",\"isDev\":false}\n",
                                port, pid);

  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
