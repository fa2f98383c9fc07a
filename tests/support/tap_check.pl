#!/usr/bin/perl
# SPDX-License-Identifier: BSL-1.0
# Reads a TAP stream with TAP::Parser, the parser prove uses, and fails on
# anything it could not read: a parse error, a line at the top level that
# is not TAP, a failed test without its YAML block (with --yaml), or a
# round-trip block (announced by "# round-trip ..." notes, hex-encoded)
# whose YAMLish value differs from the bytes the program sent.
# Prints the counts as JSON on stdout for check_reports.py.
#
# With --uncounted, the stream need not hold an "# expected counts:" note.
#
# Usage: tap_check.pl [--yaml] [--uncounted] FILE
use strict;
use warnings;
use JSON::PP;
use TAP::Parser;

my ($want_yaml, $uncounted) = (0, 0);
while (@ARGV && $ARGV[0] =~ /^--/) {
  my $option = shift @ARGV;
  if ($option eq '--yaml') { $want_yaml = 1 }
  elsif ($option eq '--uncounted') { $uncounted = 1 }
  else { die "tap_check.pl: unknown option $option\n" }
}
my $file = shift @ARGV or die "usage: tap_check.pl [--yaml] [--uncounted] FILE\n";
open my $fh, '<:raw', $file or die "cannot read $file: $!\n";
my $tap = do { local $/; <$fh> };
close $fh;

my $parser = TAP::Parser->new({ tap => $tap });
my (@problems, @yaml, %round_trip, $last_failed, $expected);
my ($tests, $failed, $todo, $skipped) = (0, 0, 0, 0);
sub unhex { my $h = shift; $h = '' unless defined $h; return pack 'H*', $h }

while (my $r = $parser->next) {
  if ($r->is_test) {
    push @problems, "test $tests has no YAML block" if $want_yaml && $last_failed;
    ++$tests;
    $todo++ if $r->has_todo;
    $skipped++ if $r->has_skip;
    $failed++ if !$r->is_actual_ok && !$r->has_todo;
    $last_failed = !$r->is_actual_ok;
  } elsif ($r->is_yaml) {
    my $data = $r->data;
    push @problems, "YAML block of test $tests is not a mapping" unless ref $data eq 'HASH';
    push @yaml, $data;
    $last_failed = 0;
    if (%round_trip) {
      push @problems, "YAMLish message differs from what was sent"
        unless $data->{message} eq $round_trip{message};
      # A long line comes as a list of pieces, to be joined.
      my $got = join "\n", map { unpack 'H*', ref $_ ? join('', @$_) : $_ }
        @{ $data->{diagnostics} || [] };
      my $want = join "\n", map { unpack 'H*', $_ } @{ $round_trip{diagnostics} };
      push @problems, "YAMLish diagnostics differ from what was sent:\n$got\n---\n$want"
        unless $got eq $want;
      %round_trip = ();
    }
  } elsif ($r->is_comment) {
    my $c = $r->as_string;
    $round_trip{message} = unhex($1) if $c =~ /^# round-trip message: ([0-9a-f]*)$/;
    $round_trip{diagnostics} = [map { unhex($_) } split /,/, $1, -1]
      if $c =~ /^# round-trip diagnostics: ([0-9a-f,]*)$/;
    $expected = { map { split /=/ } split / /, $1 } if $c =~ /^# expected counts: (.*)$/;
  } elsif ($r->is_unknown) {
    # Subtests are indented; anything else unknown leaked out of a string.
    push @problems, "not a TAP line: " . $r->as_string if $r->as_string =~ /^\S/;
  }
}
push @problems, "test $tests has no YAML block" if $want_yaml && $last_failed;
push @problems, "parse error: $_" for $parser->parse_errors;
if ($expected) {
  my %got = (tests => $tests, failed => $failed, todo => $todo, skipped => $skipped);
  for my $k (sort keys %$expected) {
    push @problems, "$k: the stream says $got{$k}, the program counted $expected->{$k}"
      unless defined $got{$k} && $got{$k} == $expected->{$k};
  }
} elsif (!$uncounted) {
  push @problems, "no '# expected counts:' note in the stream";
}
print JSON::PP->new->canonical->encode(
  { tests => $tests, failed => $failed, todo => $todo, skipped => $skipped,
    yaml_blocks => scalar @yaml });
print STDERR "tap_check: $_\n" for @problems;
exit(@problems ? 1 : 0);
