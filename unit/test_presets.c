#include "unit.h"
#include "model/presets.h"
#include <ktstr/topology.h>

UNIT_TEST(presets_parse)
{
	CHECK_EQ_INT(kt_npresets, 24);
	for (size_t i = 0; i < kt_npresets; i++) {
		const struct kt_preset *p = &kt_presets[i];
		struct ktstr_topo t;
		char err[256], back[32];

		if (ktstr_topo_parse(p->topo, &t, err, sizeof(err)) || ktstr_topo_validate(&t, err, sizeof(err))) {
			unit_fail(__FILE__, __LINE__, "%s: %s: %s", p->name, p->topo, err);
			continue;
		}
		CHECK_EQ_INT(ktstr_topo_cpus(&t), p->cpus);
		CHECK_EQ_INT(t.llcs, p->llcs);
		CHECK_EQ_INT(t.numa_nodes, p->numa);
		ktstr_topo_format(&t, back, sizeof(back));
		CHECK_EQ_STR(back, p->topo);
		CHECK(kt_preset_find(p->name) == p);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(kt_presets[j].name, p->name));
	}
	CHECK(!kt_preset_find("no-such-preset"));
}
