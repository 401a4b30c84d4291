/* test-home.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "test-home.h"

static void
rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          rm_rf (child);
        }
    }
  g_remove (path);
}

void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-home-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->home = g_build_filename (fixture->dir, "home", NULL);
  g_assert_cmpint (g_mkdir (fixture->home, 0700), ==, 0);
  fixture->old_cwd = g_get_current_dir ();
  g_assert_cmpint (g_chdir (fixture->dir), ==, 0);
}

void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_cmpint (g_chdir (fixture->old_cwd), ==, 0);
  rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->home);
  g_free (fixture->old_cwd);
}

GStrv
make_env (Fixture    *fixture,
          const char *first,
          ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *home = g_strdup_printf ("HOME=%s", fixture->home);
  va_list args;

  g_strv_builder_add (builder, home);
  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    g_strv_builder_add (builder, s);
  va_end (args);

  return g_strv_builder_end (builder);
}

char *
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return path;
}

char *
write_home_file (Fixture    *fixture,
                 const char *relative,
                 const char *contents)
{
  return write_file (fixture->home, relative, contents);
}
