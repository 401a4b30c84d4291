/* fuzz-standalone.c
 *
 * A main() for fuzz targets in builds without libFuzzer: runs every seed
 * in the given directories or files, then a fixed number of deterministic
 * pseudo-random mutations of them. Same seed, same inputs, so a failure
 * reproduces; the input that crashed is written to fuzz-crash-N.bin,
 * which can be passed back as an argument.
 *
 *   fuzz-NAME [--mutations=N] [--seed=N] DIR-OR-FILE...
 *
 * LP_FUZZ_MUTATIONS overrides the default mutation count.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#define DEFAULT_MUTATIONS 50000
#define MAX_INPUT_SIZE    (64 * 1024)

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* What the crash handler writes out; only read from the signal handler. */
static const guint8 *volatile current_data;
static volatile gsize current_size;
static volatile guint64 current_index;

static void
on_crash (int signum)
{
  char name[64];
  char digits[24];
  guint64 n = current_index;
  int len = 0;
  int fd;

  /* Only async-signal-safe calls from here on. */
  do
    digits[len++] = '0' + n % 10;
  while ((n /= 10) > 0);

  memcpy (name, "fuzz-crash-", 11);
  for (int i = 0; i < len; i++)
    name[11 + i] = digits[len - 1 - i];
  memcpy (name + 11 + len, ".bin", 5);

  fd = open (name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0)
    {
      if (current_data != NULL && write (fd, current_data, current_size) >= 0)
        {
          static const char message[] = "\nfuzz-standalone: input written to ";

          if (write (STDERR_FILENO, message, sizeof message - 1) < 0 ||
              write (STDERR_FILENO, name, strlen (name)) < 0 ||
              write (STDERR_FILENO, "\n", 1) < 0)
            {
              /* Nothing left to report to. */
            }
        }
      close (fd);
    }

  signal (signum, SIG_DFL);
  raise (signum);
}

static void
run_one (const guint8 *data,
         gsize         size,
         guint64       index)
{
  /* An exact-size copy, so reading past the end is caught by ASan or valgrind. */
  guint8 *copy = g_memdup2 (data, size);

  current_data = copy;
  current_size = size;
  current_index = index;
  LLVMFuzzerTestOneInput (copy, size);
  current_data = NULL;
  g_free (copy);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
load_seeds (const char *path,
            GPtrArray  *seeds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      char *contents;
      gsize len;

      if (!g_file_get_contents (path, &contents, &len, &error))
        g_error ("%s", error->message);
      g_ptr_array_add (seeds, g_bytes_new_take (contents, len));
      return;
    }

  if ((dir = g_dir_open (path, 0, &error)) == NULL)
    g_error ("%s", error->message);

  /* Sorted, so the mutations do not depend on the file system's order. */
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_paths);

  for (guint i = 0; i < names->len; i++)
    {
      if (g_file_test (g_ptr_array_index (names, i), G_FILE_TEST_IS_REGULAR))
        load_seeds (g_ptr_array_index (names, i), seeds);
    }
}

/* Tokens that matter to the targets: framing, JSON structure, the odd byte. */
static const char *const tokens[] = {
  "\r\n", "\r\n\r\n", "Content-Length: ", "content-length:", "0", "4294967296",
  "99999999999999999999", "{", "}", "[", "]", "\"", "\\", ":", ",", "null", "true",
  "-1", "1e999", "\\u0000", "\\ud800", "\xc3\xa9", "\xf0\x9f\x9a\x80", "\xff", "\x00",
  "\"role\"", "\"content\"", "\"type\"", "\"text\"", "\"tool_calls\"", "\"arguments\"",
};

/* @data must not point into @array. */
static void
insert_bytes (GByteArray   *array,
              guint         at,
              const guint8 *data,
              guint         len)
{
  guint tail = array->len - at;

  g_byte_array_set_size (array, array->len + len);
  memmove (array->data + at + len, array->data + at, tail);
  memcpy (array->data + at, data, len);
}

static void
mutate (GByteArray *input,
        GPtrArray  *seeds,
        GRand      *rand)
{
  guint ops = g_rand_int_range (rand, 1, 5);

  for (guint op = 0; op < ops; op++)
    {
      guint len = input->len;
      guint at = len ? g_rand_int_range (rand, 0, len) : 0;
      guint span = len ? g_rand_int_range (rand, 1, MIN (len - at, 64) + 1) : 0;

      switch (g_rand_int_range (rand, 0, 8))
        {
        case 0: /* flip a bit */
          if (len)
            input->data[at] ^= 1 << g_rand_int_range (rand, 0, 8);
          break;

        case 1: /* overwrite a byte */
          if (len)
            input->data[at] = g_rand_int_range (rand, 0, 256);
          break;

        case 2: /* insert a random byte */
          {
            guint8 byte = g_rand_int_range (rand, 0, 256);

            insert_bytes (input, at, &byte, 1);
          }
          break;

        case 3: /* delete a span */
          if (len)
            g_byte_array_remove_range (input, at, span);
          break;

        case 4: /* duplicate a span */
          if (len)
            {
              g_autofree guint8 *copy = g_memdup2 (input->data + at, span);

              insert_bytes (input, g_rand_int_range (rand, 0, len + 1), copy, span);
            }
          break;

        case 5: /* insert a token */
          {
            const char *token = tokens[g_rand_int_range (rand, 0, G_N_ELEMENTS (tokens))];
            gsize token_len = *token ? strlen (token) : 1;

            insert_bytes (input, at, (const guint8 *) token, token_len);
          }
          break;

        case 6: /* truncate */
          g_byte_array_set_size (input, at);
          break;

        case 7: /* splice in a span of another seed */
          {
            GBytes *other = g_ptr_array_index (seeds, g_rand_int_range (rand, 0, seeds->len));
            gsize other_len;
            const guint8 *other_data = g_bytes_get_data (other, &other_len);

            if (other_len > 0)
              {
                guint from = g_rand_int_range (rand, 0, other_len);
                guint count = g_rand_int_range (rand, 1, MIN (other_len - from, 256) + 1);

                insert_bytes (input, at, other_data + from, count);
              }
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }

  if (input->len > MAX_INPUT_SIZE)
    g_byte_array_set_size (input, MAX_INPUT_SIZE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GRand) rand = NULL;
  guint64 mutations = DEFAULT_MUTATIONS;
  guint32 seed = 0x4c696e67;
  const char *env = g_getenv ("LP_FUZZ_MUTATIONS");
  int signals_caught[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };

  if (env != NULL)
    mutations = g_ascii_strtoull (env, NULL, 10);

  for (int i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--mutations="))
        mutations = g_ascii_strtoull (argv[i] + 12, NULL, 10);
      else if (g_str_has_prefix (argv[i], "--seed="))
        seed = g_ascii_strtoull (argv[i] + 7, NULL, 10);
      else
        load_seeds (argv[i], seeds);
    }

  if (seeds->len == 0)
    {
      g_printerr ("usage: %s [--mutations=N] [--seed=N] DIR-OR-FILE...\n", argv[0]);
      return EXIT_FAILURE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (signals_caught); i++)
    signal (signals_caught[i], on_crash);

  for (guint i = 0; i < seeds->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (seeds, i), &len);

      run_one (data, len, i);
    }

  rand = g_rand_new_with_seed (seed);

  for (guint64 i = 0; i < mutations; i++)
    {
      g_autoptr(GByteArray) input = g_byte_array_new ();
      GBytes *base = g_ptr_array_index (seeds, i % seeds->len);

      g_byte_array_append (input, g_bytes_get_data (base, NULL), g_bytes_get_size (base));
      mutate (input, seeds, rand);
      run_one (input->data, input->len, seeds->len + i);
    }

  g_print ("%s: %u seeds and %" G_GUINT64_FORMAT " mutations passed\n",
           argv[0], seeds->len, mutations);

  return EXIT_SUCCESS;
}
