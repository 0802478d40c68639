import 'reflect-metadata';
import { runLauncher } from '../../backend/src/launcher/launcher';

void runLauncher();
