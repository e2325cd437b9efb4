//! A test kernel that passes only if a failed assertion really panics and the panic handler
//! reports it. If assertions were silently ignored, or the handler hung, this test would fail.

#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};

entry_point!(main, config = &ferrite::BOOTLOADER_CONFIG);

fn main(boot_info: &'static mut BootInfo) -> ! {
    ferrite::testing::enter_test_kernel();
    let _boot = ferrite::init(boot_info);
    ferrite::testing::run_should_panic("should_panic::failed_assertion_panics", || {
        assert_eq!(1 + 1, 3, "arithmetic is broken on purpose");
    })
}
