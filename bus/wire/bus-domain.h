/*
 * The floor's vocabulary as tables (docs/DOMAIN.md): sectors, NCISS levels,
 * case and team statuses, roles, TLP markings, intel and sensor kinds.
 * Every name here is what travels on the wire.
 */
#ifndef BUS_DOMAIN_H
#define BUS_DOMAIN_H

#include <stddef.h>

#define BUS_LEVEL_MIN 0
#define BUS_LEVEL_MAX 5
#define BUS_NSECTORS 16

struct bus_sector {
	const char *id;
	const char *name;
};

struct bus_level {
	int level;
	const char *name;
};

enum bus_case_status {
	BUS_CASE_REPORTED,
	BUS_CASE_ASSIGNED,
	BUS_CASE_INVESTIGATING,
	BUS_CASE_ANALYSIS,
	BUS_CASE_ONSITE,
	BUS_CASE_FOLLOWUP,
	BUS_CASE_CLOSED,
	BUS_CASE_NSTATUS
};

enum bus_team_status {
	BUS_TEAM_AVAILABLE,
	BUS_TEAM_DISPATCHED,
	BUS_TEAM_ENROUTE,
	BUS_TEAM_ONSITE,
	BUS_TEAM_RETURNING,
	BUS_TEAM_OFFDUTY,
	BUS_TEAM_NSTATUS
};

/* Roles are bits so that rules can name a set of them. */
enum bus_role {
	BUS_ROLE_VIEWER = 1 << 0,
	BUS_ROLE_OFFICER = 1 << 1,
	BUS_ROLE_INTAKE = 1 << 2,
	BUS_ROLE_LEAD = 1 << 3,
};
#define BUS_ROLE_ANY (BUS_ROLE_VIEWER | BUS_ROLE_OFFICER | BUS_ROLE_INTAKE | BUS_ROLE_LEAD)

/* The kinds of object the hub keeps: an event's topic is "<kind>.<id>",
 * and a snapshot lists each kind under its list's name. */
enum bus_kind {
	BUS_KIND_CASE,
	BUS_KIND_TEAM,
	BUS_KIND_SECTOR,
	BUS_KIND_SENSOR,
	BUS_KIND_INTEL,
	BUS_KIND_STAFF,
	BUS_KIND_COUNT
};
#define BUS_KIND_BIT(k) (1u << (k))

extern const char *const bus_kind_names[BUS_KIND_COUNT + 1]; /* "case" */
extern const char *const bus_kind_lists[BUS_KIND_COUNT + 1]; /* "cases" */
extern const struct bus_sector bus_sectors[BUS_NSECTORS];
extern const struct bus_level bus_levels[BUS_LEVEL_MAX + 1];
extern const char *const bus_case_status_names[BUS_CASE_NSTATUS + 1];
extern const char *const bus_team_status_names[BUS_TEAM_NSTATUS + 1];
extern const char *const bus_tlp_names[];
extern const char *const bus_intel_kind_names[];
extern const char *const bus_member_role_names[];
extern const char *const bus_role_names[]; /* by bit: BUS_ROLE_VIEWER is [0] */

/* Index of NAME in a NULL-terminated or counted name table, or -1. */
int bus_domain_index(const char *const *names, size_t n, const char *name);

int         bus_sector_find(const char *id);
int         bus_case_status_find(const char *name);
int         bus_team_status_find(const char *name);
int         bus_role_find(const char *name);
const char *bus_role_name(int role);
const char *bus_level_name(int level);

#endif
