; Multiboot2 header: tells GRUB this is a multiboot2 kernel.
; It must sit in the first 32 KiB of the file, 8-byte aligned (linker.ld puts
; .multiboot_header first). We ask for nothing special: GRUB loads the ELF by
; its program headers and enters _start (boot/entry.asm) in 32-bit protected
; mode, paging off, with EAX = magic and EBX = physical address of the boot
; information. Under UEFI, GRUB exits boot services first, so the same entry
; serves both firmware types.

MB2_MAGIC     equ 0xe85250d6
MB2_ARCH_I386 equ 0

section .multiboot_header
align 8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	; information request tag: we want these tags in the boot information
	align 8
.info_req:
	dw 1, 0                        ; type 1, flags 0 (required)
	dd .info_req_end - .info_req
	dd 1                           ; command line
	dd 6                           ; memory map
	dd 3                           ; modules
.info_req_end:

	; end tag
	align 8
	dw 0, 0
	dd 8
mb2_header_end:
