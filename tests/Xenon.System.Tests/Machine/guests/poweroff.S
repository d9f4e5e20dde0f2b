.include "common.inc"
PROLOGUE
POWEROFF
