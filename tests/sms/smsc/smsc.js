// A small SMSC on loopback for the SMPP gateway tests and the benchmark.
//
//   node smsc.js <port> [mode[,mode...]]
//
// It accepts any bind_transceiver, answers submit_sm with message ids ("m_<n>"), sends a
// delivery receipt for each submit_sm that asks for one (deliver_sm, esm_class 0x04,
// data_coding 0: node-smpp encodes that text in GSM 03.38, as real SMSCs do), and prints
// every PDU it receives as one JSON line on stdout.
//
// Modes, from the second argument or one per line on stdin:
//   normal                 forget the modes below
//   receipt-before-resp    send the receipt first, then the submit_sm_resp
//   drop-after:N           close the connection on the Nth submit_sm from now, unanswered
//   throttle-first:N       answer the next N submit_sm with ESME_RTHROTTLED (0x58)
//   fail-first:N:STATUS    answer the next N submit_sm with STATUS (hex, e.g. 0b)
//   stat:STAT              receipts say stat:STAT (DELIVRD by default)
//   no-receipts            send no receipts
//   mo:<from>:<text>       send an MO (deliver_sm) on the newest bound connection
'use strict';

const smpp = require('smpp');

// Keep short_message as the octets the client sent: the log shows them in hex and
// decodes them itself, so the test checks the client's encoding, not ours.
smpp.filters.message.decode = function (value) {
  return value;
};

const port = parseInt(process.argv[2], 10);
const state = {
  receiptBeforeResp: false,
  dropAfter: 0,
  throttleLeft: 0,
  failLeft: 0,
  failStatus: 0,
  stat: 'DELIVRD',
  receipts: true,
};
let submitsSinceDropMode = 0;
let messageCounter = 0;
let sessionCounter = 0;
const bound = [];

function log(entry) {
  process.stdout.write(JSON.stringify(Object.assign({ t: Date.now() }, entry)) + '\n');
}

function apply(command) {
  command = command.replace(/\r?\n$/, '');
  if (!command) return;
  log({ event: 'command', command: command });
  if (command === 'normal') {
    Object.assign(state, {
      receiptBeforeResp: false, dropAfter: 0, throttleLeft: 0, failLeft: 0, receipts: true,
    });
  } else if (command === 'receipt-before-resp') {
    state.receiptBeforeResp = true;
  } else if (command.startsWith('drop-after:')) {
    state.dropAfter = parseInt(command.split(':')[1], 10);
    submitsSinceDropMode = 0;
  } else if (command.startsWith('throttle-first:')) {
    state.throttleLeft = parseInt(command.split(':')[1], 10);
  } else if (command.startsWith('fail-first:')) {
    const fields = command.split(':');
    state.failLeft = parseInt(fields[1], 10);
    state.failStatus = parseInt(fields[2], 16);
  } else if (command.startsWith('stat:')) {
    state.stat = command.slice(5);
  } else if (command === 'no-receipts') {
    state.receipts = false;
  } else if (command.startsWith('mo:')) {
    const rest = command.slice(3);
    const colon = rest.indexOf(':');
    sendMo(rest.slice(0, colon), rest.slice(colon + 1));
  } else {
    log({ event: 'error', error: 'unknown command', command: command });
  }
}

function sendMo(from, text) {
  const session = bound[bound.length - 1];
  if (!session) {
    log({ event: 'error', error: 'no bound session for the MO' });
    return;
  }
  const gsm = smpp.encodings.ASCII.match(text);
  session.deliver_sm({
    source_addr_ton: from.startsWith('+') ? 1 : 0,
    source_addr_npi: 1,
    source_addr: from.replace(/^\+/, ''),
    dest_addr_ton: 3,
    destination_addr: '36180',
    esm_class: 0,
    data_coding: gsm ? 0 : 8,
    short_message: text,
  });
}

function describe(pdu) {
  const entry = { session: pdu.sessionId, command: pdu.command, sequence: pdu.sequence_number };
  if (pdu.command_status) entry.command_status = pdu.command_status;
  if (pdu.command === 'submit_sm' || pdu.command === 'deliver_sm') {
    const raw = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
    const hasUdh = (pdu.esm_class & 0x40) !== 0 && raw.length > 0;
    const body = hasUdh ? raw.slice(raw[0] + 1) : raw;
    Object.assign(entry, {
      source_addr: pdu.source_addr,
      source_addr_ton: pdu.source_addr_ton,
      destination_addr: pdu.destination_addr,
      dest_addr_ton: pdu.dest_addr_ton,
      esm_class: pdu.esm_class,
      data_coding: pdu.data_coding,
      registered_delivery: pdu.registered_delivery,
      short_message: raw.toString('hex'),
      udh: hasUdh ? raw.slice(0, raw[0] + 1).toString('hex') : null,
      text: pdu.data_coding === 8
        ? smpp.encodings.UCS2.decode(body)
        : smpp.encodings.ASCII.decode(body),
    });
  }
  if (pdu.message_id !== undefined) entry.message_id = pdu.message_id;
  return entry;
}

function receiptFor(session, submit, messageId) {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  const stamp = String(now.getUTCFullYear()).slice(2) + pad(now.getUTCMonth() + 1) +
    pad(now.getUTCDate()) + pad(now.getUTCHours()) + pad(now.getUTCMinutes());
  const entry = describe(submit);
  const delivered = state.stat === 'DELIVRD' ? '001' : '000';
  const text = 'id:' + messageId + ' sub:001 dlvrd:' + delivered + ' submit date:' + stamp +
    ' done date:' + stamp + ' stat:' + state.stat + ' err:' +
    (state.stat === 'DELIVRD' ? '000' : '001') + ' text:' + (entry.text || '').slice(0, 20);
  return {
    source_addr_ton: submit.dest_addr_ton,
    source_addr_npi: submit.dest_addr_npi,
    source_addr: submit.destination_addr,
    dest_addr_ton: submit.source_addr_ton,
    dest_addr_npi: submit.source_addr_npi,
    destination_addr: submit.source_addr,
    esm_class: 0x04,
    data_coding: 0,
    // A string with data_coding 0: node-smpp encodes it in GSM 03.38 ("_" is 0x11).
    short_message: text,
  };
}

function onSubmit(session, pdu) {
  const entry = describe(pdu);
  if (state.dropAfter) {
    submitsSinceDropMode += 1;
    if (submitsSinceDropMode >= state.dropAfter) {
      state.dropAfter = 0;
      entry.action = 'dropped';
      log(entry);
      session.dropped = true;
      session.pause();
      session.destroy();
      return;
    }
  }
  if (state.throttleLeft > 0) {
    state.throttleLeft -= 1;
    entry.answered_status = 0x58;
    log(entry);
    session.send(pdu.response({ command_status: 0x58 }));
    return;
  }
  if (state.failLeft > 0) {
    state.failLeft -= 1;
    entry.answered_status = state.failStatus;
    log(entry);
    session.send(pdu.response({ command_status: state.failStatus }));
    return;
  }
  messageCounter += 1;
  const messageId = 'm_' + messageCounter;
  entry.answered_status = 0;
  entry.assigned_id = messageId;
  log(entry);
  const wantsReceipt = state.receipts && (pdu.registered_delivery & 0x03) !== 0;
  const response = pdu.response({ message_id: messageId });
  if (wantsReceipt && state.receiptBeforeResp) {
    session.deliver_sm(receiptFor(session, pdu, messageId));
    session.send(response);
  } else {
    session.send(response);
    if (wantsReceipt) session.deliver_sm(receiptFor(session, pdu, messageId));
  }
}

const server = smpp.createServer(function (session) {
  sessionCounter += 1;
  const sessionId = sessionCounter;
  log({ event: 'connect', session: sessionId });
  session.on('pdu', function (pdu) {
    if (session.dropped) return; // read after the drop: never processed
    pdu.sessionId = sessionId;
    switch (pdu.command) {
      case 'bind_transceiver':
        log(Object.assign(describe(pdu), { system_id: pdu.system_id }));
        session.send(pdu.response({ system_id: 'smsc' }));
        bound.push(session);
        break;
      case 'submit_sm':
        onSubmit(session, pdu);
        break;
      case 'enquire_link':
        log(describe(pdu));
        session.send(pdu.response());
        break;
      case 'unbind':
        log(describe(pdu));
        session.send(pdu.response(), function () {
          session.close();
        });
        break;
      default:
        log(describe(pdu));
        if (!pdu.isResponse()) session.send(pdu.response());
    }
  });
  session.on('error', function (error) {
    log({ event: 'error', session: sessionId, error: String(error) });
  });
  session.on('close', function () {
    const index = bound.indexOf(session);
    if (index >= 0) bound.splice(index, 1);
    log({ event: 'close', session: sessionId });
  });
});

server.listen(port, '127.0.0.1', function () {
  log({ event: 'listening', port: port });
  (process.argv[3] || '').split(',').forEach(apply);
});

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', function (chunk) {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    apply(buffered.slice(0, newline));
    buffered = buffered.slice(newline + 1);
  }
});
// Stop with the test run even when the fixture is killed before it can signal us.
process.stdin.on('end', function () {
  process.exit(0);
});
