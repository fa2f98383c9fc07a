# SPDX-License-Identifier: BSL-1.0
# The assertions of more_program.cpp, in the same order, with Test::More.
use strict;
use warnings;
use Test::More;

ok(1, 'ok passes');
ok(0, 'ok fails');
ok(0);
is('x', 'x', 'is passes');
is('x', 'y', 'is fails');
is(undef, 'y', 'is undef');
is(1, 2);
is("a\nb", "a\nc", 'is multi-line');
is(1.5, 2, 'is numbers');
isnt('x', 'x', 'isnt fails');
isnt('x', 'y', 'isnt passes');
like('abc', qr/^a/, 'like passes');
like('abc', qr/^z/, 'like fails');
{ no warnings 'uninitialized'; like(undef, qr/x/, 'like undef'); }
like(42, qr/^4/, 'like number');
unlike('abc', qr/^a/, 'unlike fails');
unlike('abc', qr/^z/, 'unlike passes');
is_deeply([1, 2], [1, 3], 'deep differs');
is_deeply([1, 2], [1], 'deep shorter');
is_deeply(['a', [1, 2]], ['a', [1, 2]], 'deep passes');
is_deeply(['a', [1, 2]], ['a', [1, 4]], 'deep nested');
is_deeply('a', 'b', 'deep scalars');
is_deeply([1, undef], [1, 2], 'deep undef');
cmp_ok(1, '<', 0, 'cmp <');
cmp_ok(1, '==', 0, 'cmp ==');
cmp_ok('1.0', '==', 2, 'cmp == numifies');
cmp_ok(1, '!=', 1, 'cmp !=');
cmp_ok('a', 'eq', 'b', 'cmp eq');
cmp_ok('a', 'ne', 'a', 'cmp ne');
cmp_ok('x', 'lt', 'a', 'cmp lt');
cmp_ok(2.5, '>=', 3, 'cmp >=');
cmp_ok(3, '<=', 3, 'cmp <= passes');
cmp_ok('b', 'gt', 'a', 'cmp gt passes');
cmp_ok(10, '>', 9, 'cmp > is numeric');
cmp_ok('10', 'lt', '9', 'cmp lt is textual');
cmp_ok(9, 'le', 10, 'cmp le fails on text');
pass('pass');
fail('fail');
fail();
done_testing();
