/* lp-model-info.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-model-info"

#include "config.h"

#include "lp-model-info.h"

struct _LpModelInfo
{
  GObject  parent_instance;

  char    *id;
  char    *internal_id;
  char    *scene;
  char    *display_name;
};

G_DEFINE_FINAL_TYPE (LpModelInfo, lp_model_info, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_INTERNAL_ID,
  PROP_SCENE,
  PROP_DISPLAY_NAME,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
lp_model_info_constructed (GObject *object)
{
  LpModelInfo *self = (LpModelInfo *)object;

  G_OBJECT_CLASS (lp_model_info_parent_class)->constructed (object);

  g_assert (self->id != NULL);

  /* Lingma gives one name per model; it serves as both unless the app
   * chooses a friendlier one. */
  if (self->display_name == NULL)
    self->display_name = g_strdup (self->id);
  if (self->internal_id == NULL)
    self->internal_id = g_strdup (self->id);
  if (self->scene == NULL)
    self->scene = g_strdup ("");
}

static void
lp_model_info_finalize (GObject *object)
{
  LpModelInfo *self = (LpModelInfo *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->internal_id, g_free);
  g_clear_pointer (&self->scene, g_free);
  g_clear_pointer (&self->display_name, g_free);

  G_OBJECT_CLASS (lp_model_info_parent_class)->finalize (object);
}

static void
lp_model_info_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  LpModelInfo *self = LP_MODEL_INFO (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_INTERNAL_ID:
      g_value_set_string (value, self->internal_id);
      break;

    case PROP_SCENE:
      g_value_set_string (value, self->scene);
      break;

    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_model_info_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  LpModelInfo *self = LP_MODEL_INFO (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;

    case PROP_INTERNAL_ID:
      self->internal_id = g_value_dup_string (value);
      break;

    case PROP_SCENE:
      self->scene = g_value_dup_string (value);
      break;

    case PROP_DISPLAY_NAME:
      self->display_name = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_model_info_class_init (LpModelInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = lp_model_info_constructed;
  object_class->finalize = lp_model_info_finalize;
  object_class->get_property = lp_model_info_get_property;
  object_class->set_property = lp_model_info_set_property;

  /**
   * LpModelInfo:id:
   *
   * The name clients list and send as "model", e.g. "Kimi-K2.6".
   */
  properties [PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * LpModelInfo:internal-id:
   *
   * The id Lingma expects, e.g. "kmodel". Defaults to #LpModelInfo:id.
   */
  properties [PROP_INTERNAL_ID] =
    g_param_spec_string ("internal-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * LpModelInfo:scene:
   *
   * Where Lingma offers the model ("chat", "inline", …), or "".
   */
  properties [PROP_SCENE] =
    g_param_spec_string ("scene", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * LpModelInfo:display-name:
   *
   * The name to show people. Defaults to #LpModelInfo:id.
   */
  properties [PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lp_model_info_init (LpModelInfo *self)
{
}

LpModelInfo *
lp_model_info_new (const char *id,
                   const char *internal_id,
                   const char *scene)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_object_new (LP_TYPE_MODEL_INFO,
                       "id", id,
                       "internal-id", internal_id,
                       "scene", scene,
                       NULL);
}

const char *
lp_model_info_get_id (LpModelInfo *self)
{
  g_return_val_if_fail (LP_IS_MODEL_INFO (self), NULL);

  return self->id;
}

const char *
lp_model_info_get_internal_id (LpModelInfo *self)
{
  g_return_val_if_fail (LP_IS_MODEL_INFO (self), NULL);

  return self->internal_id;
}

const char *
lp_model_info_get_scene (LpModelInfo *self)
{
  g_return_val_if_fail (LP_IS_MODEL_INFO (self), NULL);

  return self->scene;
}

const char *
lp_model_info_get_display_name (LpModelInfo *self)
{
  g_return_val_if_fail (LP_IS_MODEL_INFO (self), NULL);

  return self->display_name;
}
