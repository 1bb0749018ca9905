/* pvcc-sim runtime: a program has no module symbol table to export to. */
#ifndef _PVCC_SIM_LINUX_EXPORT_H
#define _PVCC_SIM_LINUX_EXPORT_H
#define EXPORT_SYMBOL(sym)
#endif
