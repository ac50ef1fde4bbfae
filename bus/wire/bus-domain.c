#include <string.h>

#include "bus-domain.h"

const struct bus_sector bus_sectors[BUS_NSECTORS] = {
	{ "chemical", "Chemical" },
	{ "commercial", "Commercial Facilities" },
	{ "communications", "Communications" },
	{ "manufacturing", "Critical Manufacturing" },
	{ "dams", "Dams" },
	{ "defense", "Defense Industrial Base" },
	{ "emergency", "Emergency Services" },
	{ "energy", "Energy" },
	{ "financial", "Financial Services" },
	{ "food", "Food and Agriculture" },
	{ "government", "Government Facilities" },
	{ "healthcare", "Healthcare and Public Health" },
	{ "it", "Information Technology" },
	{ "nuclear", "Nuclear Reactors, Materials and Waste" },
	{ "transportation", "Transportation Systems" },
	{ "water", "Water and Wastewater" },
};

const struct bus_level bus_levels[BUS_LEVEL_MAX + 1] = {
	{ 0, "Baseline" }, { 1, "Low" },    { 2, "Medium" },
	{ 3, "High" },     { 4, "Severe" }, { 5, "Emergency" },
};

const char *const bus_case_status_names[CASE_NSTATUS + 1] = {
	[CASE_REPORTED] = "reported",
	[CASE_ASSIGNED] = "assigned",
	[CASE_INVESTIGATING] = "investigating",
	[CASE_ANALYSIS] = "analysis",
	[CASE_ONSITE] = "onsite",
	[CASE_FOLLOWUP] = "followup",
	[CASE_CLOSED] = "closed",
	[CASE_NSTATUS] = NULL, /* ends the list where it serves as choices */
};

const char *const bus_team_status_names[TEAM_NSTATUS + 1] = {
	[TEAM_AVAILABLE] = "available",
	[TEAM_DISPATCHED] = "dispatched",
	[TEAM_ENROUTE] = "enroute",
	[TEAM_ONSITE] = "onsite",
	[TEAM_RETURNING] = "returning",
	[TEAM_OFFDUTY] = "offduty",
	[TEAM_NSTATUS] = NULL,
};

const char *const bus_tlp_names[] = {
	"clear", "green", "amber", "amber+strict", "red", NULL
};

const char *const bus_intel_kind_names[] = {
	"advisory", "alert", "news", "vulnerability", "report", NULL
};

/* Roles of the members of an on-site team (not floor roles). */
const char *const bus_member_role_names[] = {
	"lead", "analyst", "ics", NULL
};

/* Floor roles by bit number: role 1 << i is named bus_role_names[i]. */
const char *const bus_role_names[] = {
	"viewer", "officer", "intake", "lead", NULL
};

int
bus_domain_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n && names[i] != NULL; i++) {
		if (strcmp(names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

int
bus_sector_find(const char *id)
{
	for (int i = 0; i < BUS_NSECTORS; i++) {
		if (strcmp(bus_sectors[i].id, id) == 0)
			return i;
	}
	return -1;
}

int
bus_case_status_find(const char *name)
{
	return bus_domain_index(bus_case_status_names, CASE_NSTATUS, name);
}

int
bus_team_status_find(const char *name)
{
	return bus_domain_index(bus_team_status_names, TEAM_NSTATUS, name);
}

/* The role bit for NAME, or 0 if NAME is not a role. */
int
bus_role_find(const char *name)
{
	int i = bus_domain_index(bus_role_names, (size_t)-1, name);

	return i < 0 ? 0 : 1 << i;
}

const char *
bus_role_name(int role)
{
	for (int i = 0; bus_role_names[i] != NULL; i++) {
		if (role == 1 << i)
			return bus_role_names[i];
	}
	return "viewer";
}

const char *
bus_level_name(int level)
{
	if (level < BUS_LEVEL_MIN || level > BUS_LEVEL_MAX)
		return "?";
	return bus_levels[level].name;
}
