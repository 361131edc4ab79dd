/* The main() libktstr.a gives test binaries that do not define their own.
 * Kept alone in its object so the CLI, which has its own main(), can link
 * everything else. */
#include <ktstr/ktstr.h>

#ifndef KTSTR_UNIT
int main(int argc, char **argv)
{
	return ktstr_main(argc, argv);
}
#endif
