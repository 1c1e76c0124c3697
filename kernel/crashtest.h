/* crashtest=KIND boot option: crash on purpose to show the exception path. */
#pragma once
void crashtest_run(void);
