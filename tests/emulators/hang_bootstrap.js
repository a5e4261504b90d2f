#!/usr/bin/env node
// A bootstrap that takes an invocation and never answers: proves the
// harness's Lambda emulator enforces the function timeout (kills it, answers
// "Task timed out"). Test-only.
'use strict';
const http = require('http');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
http.get({ host, port, path: '/2018-06-01/runtime/invocation/next' }, (res) => {
  res.resume();
  res.on('end', () => setInterval(() => {}, 1000)); // hold it forever
});
