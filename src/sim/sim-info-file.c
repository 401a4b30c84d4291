/* sim-info-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lp-error.h"
#include "sim-info-file.h"

/* The pid an info file names (JSON "pid", or the legacy second line), or 0. */
static gint64
read_pid (const char *path)
{
  g_autofree char *contents = NULL;
  gint64 pid = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;

  g_strstrip (contents);
  if (contents[0] == '{')
    {
      g_autoptr(JsonNode) root = json_from_string (contents, NULL);

      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        pid = json_object_get_int_member_with_default (json_node_get_object (root), "pid", 0);
    }
  else
    {
      g_auto(GStrv) lines = g_strsplit (contents, "\n", 3);

      if (lines[0] != NULL && lines[1] != NULL)
        pid = g_ascii_strtoll (g_strstrip (lines[1]), NULL, 10);
    }

  return pid;
}

static gboolean
process_is_alive (gint64 pid)
{
  return pid > 0 && pid <= G_MAXINT && (kill ((pid_t) pid, 0) == 0 || errno == EPERM);
}

/**
 * sim_info_file_write:
 *
 * Refuses to replace the file of another running process (a real Lingma
 * on this machine), whose clients would otherwise be sent here.
 */
gboolean
sim_info_file_write (const char  *path,
                     guint        port,
                     gboolean     legacy,
                     GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *contents = NULL;
  gint64 owner;
  int pid = getpid ();

  g_return_val_if_fail (path != NULL, FALSE);

  owner = read_pid (path);
  if (owner != pid && process_is_alive (owner))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
                   "%s belongs to a running process (pid %" G_GINT64_FORMAT "), "
                   "probably Lingma itself; not replacing it", path, owner);
      return FALSE;
    }

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

/* Removes the file unless another process has written its own since. */
void
sim_info_file_remove (const char *path)
{
  g_return_if_fail (path != NULL);

  if (read_pid (path) == getpid ())
    g_unlink (path);
}
