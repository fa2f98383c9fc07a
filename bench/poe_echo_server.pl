#!/usr/bin/perl
# SPDX-License-Identifier: BSL-1.0
# Perl's Test::POE::Server::TCP as a line echo server, the peer of
# trap::net::TcpServer in bench/net_bench.cpp: it listens on 127.0.0.1 with
# a port the system picks, prints that port on stdout, and sends every line
# back (POE::Filter::Line, "\n" both ways) until its stdin reaches end of
# file, which happens when the benchmark closes its end or dies.
use strict;
use warnings;
use POE qw(Filter::Line);
use Test::POE::Server::TCP;

$| = 1;

POE::Session->create(
  package_states => [
    main => [qw(_start testd_registered testd_client_input stdin_ready)],
  ],
);
$poe_kernel->run();
exit 0;

sub _start {
  $_[HEAP]{testd} = Test::POE::Server::TCP->spawn(
    address => '127.0.0.1',
    port    => 0,
    filter  => POE::Filter::Line->new(Literal => "\n"),
  );
  $_[KERNEL]->select_read(\*STDIN, 'stdin_ready');
  return;
}

sub testd_registered {
  my ($object) = $_[ARG0];
  print $object->port(), "\n";
  return;
}

sub testd_client_input {
  my ($sender, $id, $input) = @_[SENDER, ARG0, ARG1];
  $sender->get_heap()->send_to_client($id, $input);
  return;
}

# The benchmark holds the other end of stdin and writes nothing: end of file
# (or an error) means it is done, or gone.
sub stdin_ready {
  my $buf;
  my $n = sysread(STDIN, $buf, 4096);
  return if defined $n && $n > 0;
  $_[KERNEL]->select_read(\*STDIN);
  $_[HEAP]{testd}->shutdown();
  return;
}
