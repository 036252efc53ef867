/* The default configuration (conf/whodunit.yaml), embedded byte for byte. */
	.section .rodata
	.global wd_default_config
	.global wd_default_config_len
	.balign 8
wd_default_config:
	.incbin WD_DEFAULT_CONFIG
wd_default_config_end:
	.byte 0
	.balign 8
wd_default_config_len:
	.quad wd_default_config_end - wd_default_config
	.section .note.GNU-stack,"",@progbits
