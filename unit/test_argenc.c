/* Unit tests: scheduler arguments through the kernel command line. */
#include <errno.h>
#include "proto/argenc.h"
#include "unit.h"

UNIT_TEST(argenc_roundtrip)
{
	const char *in = " -t 2 --name=\"a b\" 100% x\ty ";
	char enc[256], dec[256], *argv[8];

	CHECK_EQ_INT(kt_arg_encode(in, enc, sizeof(enc)), 0);
	CHECK(strchr(enc, ' ') == NULL && strchr(enc, '"') == NULL && strchr(enc, '\t') == NULL);
	CHECK_EQ_INT(kt_arg_decode(enc, dec, sizeof(dec)), 0);
	CHECK_EQ_STR(dec, in);
	CHECK_EQ_INT(kt_arg_split(dec, argv, 8), 7);
	CHECK_EQ_STR(argv[0], "-t");
	CHECK_EQ_STR(argv[2], "--name=\"a");
	CHECK_EQ_STR(argv[4], "100%");
	CHECK(argv[7] == NULL);
}

UNIT_TEST(argenc_errors)
{
	char buf[8], *argv[3], many[] = "a b c d";

	CHECK_EQ_INT(kt_arg_encode("a b c d e", buf, sizeof(buf)), -ENAMETOOLONG);
	CHECK_EQ_INT(kt_arg_decode("%zz", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ_INT(kt_arg_decode("%4", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ_INT(kt_arg_decode("%00", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ_INT(kt_arg_decode("abcdefghij", buf, sizeof(buf)), -ENAMETOOLONG);
	CHECK_EQ_INT(kt_arg_split(many, argv, 3), -E2BIG);
}
