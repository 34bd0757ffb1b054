/* Freezes the plugin ABI 1.x layout: a change that moves a field breaks every plugin
 * built before it, so it must fail here first (and become a new ABI major). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <relgate/plugin.h>

#define P sizeof(void *)

static void test_versions(void **state)
{
    (void)state;
    assert_int_equal(RG_PLUGIN_ABI_MAJOR, 1);
    assert_int_equal(RG_PLUGIN_ABI_MINOR, 4);
    assert_string_equal(RG_PLUGIN_ENTRY_SYMBOL, "relgate_plugin_entry");
}

static void test_plugin_descriptor(void **state)
{
    (void)state;
    /* The three guards come first, whatever else changes. */
    assert_int_equal(offsetof(rg_plugin, abi_major), 0);
    assert_int_equal(offsetof(rg_plugin, abi_minor), 4);
    assert_int_equal(offsetof(rg_plugin, size), 8);
    assert_int_equal(offsetof(rg_plugin, name), P == 8 ? 16 : 12);
    assert_int_equal(offsetof(rg_plugin, version), offsetof(rg_plugin, name) + P);
    assert_int_equal(offsetof(rg_plugin, description), offsetof(rg_plugin, name) + 2 * P);
    assert_int_equal(offsetof(rg_plugin, license), offsetof(rg_plugin, name) + 3 * P);
    assert_int_equal(offsetof(rg_plugin, checks), offsetof(rg_plugin, name) + 4 * P);
    assert_int_equal(offsetof(rg_plugin, check_count), offsetof(rg_plugin, name) + 5 * P);
    /* 1.2: flags after check_count; a 1.0/1.1 descriptor ends where flags starts. */
    assert_int_equal(offsetof(rg_plugin, flags), offsetof(rg_plugin, name) + 6 * P);
    /* 1.3: env after flags (aligned to a pointer); a 1.2 descriptor ends where env starts. */
    assert_int_equal(offsetof(rg_plugin, env), (offsetof(rg_plugin, flags) + 4 + P - 1) / P * P);
    /* 1.3 too: the element sizes of the tables after env. */
    assert_int_equal(offsetof(rg_plugin, check_size), offsetof(rg_plugin, env) + P);
    assert_int_equal(offsetof(rg_plugin, param_size), offsetof(rg_plugin, check_size) + 4);
    assert_int_equal(sizeof(rg_plugin), (offsetof(rg_plugin, param_size) + 4 + P - 1) / P * P);
    assert_int_equal(RG_PLUGIN_FLAG_SHARE_CHILD, 1);
}

static void test_check_and_param(void **state)
{
    (void)state;
    assert_int_equal(offsetof(rg_check, name), 0);
    assert_int_equal(offsetof(rg_check, summary), P);
    assert_int_equal(offsetof(rg_check, params), 2 * P);
    assert_int_equal(offsetof(rg_check, param_count), 3 * P);
    assert_int_equal(offsetof(rg_check, run), 4 * P);
    assert_int_equal(sizeof(rg_check), 5 * P);

    assert_int_equal(offsetof(rg_param, name), 0);
    assert_int_equal(offsetof(rg_param, type), P);
    assert_int_equal(offsetof(rg_param, required), P + 4);
    assert_int_equal(offsetof(rg_param, default_json), P + 8);
    assert_int_equal(offsetof(rg_param, description), 2 * P + 8);
    /* 1.3: allowed after description; a 1.0-1.2 element ends where it starts (the
     * engine steps through a plugin's tables by the sizes its descriptor gives). */
    assert_int_equal(offsetof(rg_param, allowed), 3 * P + 8);
    assert_int_equal(sizeof(rg_param), 4 * P + 8);

    /* Enumerations are part of the ABI too. */
    assert_int_equal(RG_PARAM_STRING, 1);
    assert_int_equal(RG_PARAM_DURATION, 8);
    assert_int_equal(RG_CHECK_PASS, 1);
    assert_int_equal(RG_CHECK_ERROR, 5);
}

static void test_host_table(void **state)
{
    (void)state;
    /* Services are only ever appended: their order is frozen. */
    size_t base = 3 * sizeof(uint32_t);
    size_t first = (base + P - 1) / P * P;
    assert_int_equal(offsetof(rg_host, abi_major), 0);
    assert_int_equal(offsetof(rg_host, abi_minor), 4);
    assert_int_equal(offsetof(rg_host, size), 8);
    assert_int_equal(offsetof(rg_host, param_is_set), first);
    assert_int_equal(offsetof(rg_host, param_string), first + 1 * P);
    assert_int_equal(offsetof(rg_host, param_integer), first + 2 * P);
    assert_int_equal(offsetof(rg_host, param_number), first + 3 * P);
    assert_int_equal(offsetof(rg_host, param_boolean), first + 4 * P);
    assert_int_equal(offsetof(rg_host, param_count), first + 5 * P);
    assert_int_equal(offsetof(rg_host, param_item), first + 6 * P);
    assert_int_equal(offsetof(rg_host, read_evidence), first + 7 * P);
    assert_int_equal(offsetof(rg_host, evidence_path), first + 8 * P);
    assert_int_equal(offsetof(rg_host, context_string), first + 9 * P);
    assert_int_equal(offsetof(rg_host, now), first + 10 * P);
    assert_int_equal(offsetof(rg_host, log), first + 11 * P);
    assert_int_equal(offsetof(rg_host, details), first + 12 * P);
    assert_int_equal(offsetof(rg_host, add_object), first + 13 * P);
    assert_int_equal(offsetof(rg_host, add_array), first + 14 * P);
    assert_int_equal(offsetof(rg_host, add_string), first + 15 * P);
    assert_int_equal(offsetof(rg_host, add_number), first + 16 * P);
    assert_int_equal(offsetof(rg_host, add_boolean), first + 17 * P);
    assert_int_equal(offsetof(rg_host, pass), first + 18 * P);
    assert_int_equal(offsetof(rg_host, fail), first + 19 * P);
    assert_int_equal(offsetof(rg_host, warn), first + 20 * P);
    assert_int_equal(offsetof(rg_host, skip), first + 21 * P);
    assert_int_equal(offsetof(rg_host, error), first + 22 * P);
    /* 1.1 */
    assert_int_equal(offsetof(rg_host, release_evidence), first + 23 * P);
    assert_int_equal(offsetof(rg_host, evidence_relative), first + 24 * P);
    /* 1.2 */
    assert_int_equal(offsetof(rg_host, open_evidence), first + 25 * P);
    assert_int_equal(offsetof(rg_host, read_stream), first + 26 * P);
    assert_int_equal(offsetof(rg_host, close_stream), first + 27 * P);
    assert_int_equal(offsetof(rg_host, stream_identity), first + 28 * P);
    /* 1.4: live evidence */
    assert_int_equal(offsetof(rg_host, evidence_source), first + 29 * P);
    assert_int_equal(offsetof(rg_host, record_fetch), first + 30 * P);
    assert_int_equal(offsetof(rg_host, recorded_page), first + 31 * P);
    assert_int_equal(offsetof(rg_host, time_left), first + 32 * P);
    assert_int_equal(sizeof(rg_host), first + 33 * P);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_plugin_descriptor),
        cmocka_unit_test(test_check_and_param),
        cmocka_unit_test(test_host_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
