/* The OCF meta-data document (valid against ra-api-1.dtd). */
#pragma once

const char *vm_metadata_xml(void);
