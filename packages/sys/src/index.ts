export { SysError, errnoName } from "./errors.ts";
export { nativePath, nativeCandidates, type NativeArtifact } from "./native-path.ts";
export {
  isProcfsFd,
  sendFd,
  recvFd,
  pidfdOpen,
  pidfdSendSignal,
  waitpid,
  WNOHANG,
  prctlSetChildSubreaper,
  closeFd,
  socketpair,
  recvMessage,
  ffiLoaded,
  type ReceivedMessage,
  type WaitResult,
} from "./ffi.ts";
export {
  runInit,
  type RunInitOptions,
  type InitRun,
  type InitMessage,
  type InitErrorMessage,
  type SyncPoint,
  type SyncAnswer,
} from "./oci-init.ts";
export { unixConnect, unixListen, unixAccept, getWinsize, setWinsize, saveTermios, makeRaw, restoreTermios, getStatusFlags, setStatusFlags, type Winsize } from "./tty.ts";
