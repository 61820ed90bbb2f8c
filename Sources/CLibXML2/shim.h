#ifndef TRIAGE_LIBXML2_SHIM_H
#define TRIAGE_LIBXML2_SHIM_H
// Debian's libxml2 headers pull in ICU, whose UErrorCode clashes with the copy
// Foundation carries. Read the version header first and switch ICU off.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlreader.h>
#endif
